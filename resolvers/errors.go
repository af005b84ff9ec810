package resolvers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"customergraph/internal/customer"
	"customergraph/internal/identifier"
	"customergraph/internal/scalar"
	"customergraph/loaders"
)

// Error codes in extensions.code, besides gqlgen's GRAPHQL_PARSE_FAILED and
// GRAPHQL_VALIDATION_FAILED.
const (
	CodeBadUserInput        = "BAD_USER_INPUT"
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeForbidden           = "FORBIDDEN"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeInternal            = "INTERNAL_SERVER_ERROR"
	// CodeServerBusy: the operation waited ADMISSION_TIMEOUT for its turn,
	// or the cache was too slow to answer before the request's deadline.
	CodeServerBusy = "SERVER_BUSY"
	// CodeNotSupported: the tenant's vendor cannot serve the lookup or
	// filter asked for; extensions.vendor names it. No upstream call was
	// made.
	CodeNotSupported = "NOT_SUPPORTED"
)

// ErrKeyRejected is an upstream 401 for a client's own key, forwarded in
// AUTH_MODE=passthrough: the client is not authenticated.
var ErrKeyRejected = errors.New("the customer service rejected this API key")

// Codes of requests refused before they run: none of them costs an
// upstream call. The *_LIMIT_EXCEEDED codes are answered with HTTP 422,
// like gqlgen's parse and validation failures. The PERSISTED_QUERY_*
// codes are package persisted's (docs/persisted-queries.md).
const (
	// CodeBadRequest: the request is not a GraphQL request (a body that
	// is not JSON, for one).
	CodeBadRequest = "BAD_REQUEST"
	// CodeRequestTooLarge: the body, or a GET's query string, is larger
	// than MAX_BODY_BYTES (HTTP 413, or 414 for GET).
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
	// CodeMethodNotAllowed: a mutation sent with GET (HTTP 405).
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// CodeTokenLimit: the document has more than PARSER_TOKEN_LIMIT tokens.
	CodeTokenLimit = "TOKEN_LIMIT_EXCEEDED"
	// CodeDepthLimit: fields nest deeper than MAX_DEPTH.
	CodeDepthLimit = "DEPTH_LIMIT_EXCEEDED"
	// CodeAliasLimit: the operation uses more than MAX_ALIASES aliases.
	CodeAliasLimit = "ALIAS_LIMIT_EXCEEDED"
	// CodeRootFieldLimit: the operation selects more than MAX_ROOT_FIELDS
	// root fields.
	CodeRootFieldLimit = "ROOT_FIELD_LIMIT_EXCEEDED"
	// CodeFieldLimit: the document has more than MAX_FIELDS selections.
	CodeFieldLimit = "FIELD_LIMIT_EXCEEDED"
	// CodeFieldRepeatLimit: one selection set selects a response name
	// more than MAX_FIELD_REPEATS times.
	CodeFieldRepeatLimit = "FIELD_REPEAT_LIMIT_EXCEEDED"
	// CodeComplexityLimit is gqlgen's: the operation costs more than
	// COMPLEXITY_LIMIT.
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
)

// badInput returns a BAD_USER_INPUT error: an argument is invalid, and no
// upstream call was made.
func badInput(format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": CodeBadUserInput},
	}
}

// notSupported returns a NOT_SUPPORTED error: the tenant's vendor cannot
// serve what the query asks, and no upstream call was made.
func notSupported(v customer.Vendor, format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": CodeNotSupported, "vendor": v.Name()},
	}
}

// ErrorPresenter returns the one place where errors become GraphQL errors
// with an extensions.code. Upstream and cache errors are mapped by kind;
// anything unrecognised is logged and answered with a generic
// INTERNAL_SERVER_ERROR, so nothing internal reaches the client.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if _, ok := gqlErr.Extensions["code"]; ok {
			return gqlErr // ours, or gqlgen's parse and validation errors
		}
		out := &gqlerror.Error{Path: gqlErr.Path, Locations: gqlErr.Locations}
		code, msg := classify(err)
		if code == CodeInternal && isRequestError(ctx, err) {
			code, msg = CodeBadRequest, requestMessage(gqlErr.Message)
		}
		if code == CodeInternal {
			log.ErrorContext(ctx, "unexpected resolver error", "path", gqlErr.Path.String(), "err", err)
		}
		out.Message = msg
		out.Extensions = map[string]any{"code": code}
		var te *loaders.UpstreamError
		if code == CodeRateLimited && errors.As(err, &te) && te.RetryAfter > 0 {
			out.Extensions["retryAfterSeconds"] = int(math.Ceil(te.RetryAfter.Seconds()))
		}
		return out
	}
}

// isRequestError reports whether err is gqlgen's own complaint about the
// HTTP request (a body that does not decode): a GraphQL error of its own,
// wrapping nothing, made outside any field.
func isRequestError(ctx context.Context, err error) bool {
	ge, ok := err.(*gqlerror.Error)
	return ok && ge.Unwrap() == nil && graphql.GetFieldContext(ctx) == nil
}

// requestMessage returns gqlgen's message about a request in the client's
// terms: without the copy of the whole body it appends to a body that does
// not decode, and without the Go types encoding/json names when a body's
// JSON has the wrong shape.
func requestMessage(msg string) string {
	const prefix = "json request body could not be decoded"
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	if i := strings.Index(msg, " body:"); i >= 0 {
		msg = msg[:i]
	}
	// encoding/json's UnmarshalTypeError: "json: cannot unmarshal <JSON
	// type> into Go value of type <T>" for the body as a whole, "... into
	// Go struct field <T>.<field> of type <T>" for one member.
	_, detail, ok := strings.Cut(msg, "json: cannot unmarshal ")
	if !ok {
		if strings.Contains(msg, "Go ") {
			return prefix + ": the body must be a JSON object such as {\"query\": \"{ __typename }\"}"
		}
		return msg
	}
	got, into, _ := strings.Cut(detail, " into ")
	if field, ok := strings.CutPrefix(into, "Go struct field "); ok {
		name, typ, _ := strings.Cut(field, " of type ")
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		want := "a JSON object"
		if typ == "string" {
			want = "a string"
		}
		return fmt.Sprintf("%s: %q must be %s, not %s", prefix, name, want, jsonKind(got))
	}
	if got == "array" {
		return prefix + ": the body is a JSON array, and batched operations are not supported: send one JSON object, {\"query\": ...}, per request"
	}
	return fmt.Sprintf("%s: the body must be a JSON object such as {\"query\": \"{ __typename }\"}, not %s", prefix, jsonKind(got))
}

// jsonKind names a JSON value's type, as encoding/json reports it, with
// its article.
func jsonKind(t string) string {
	switch t {
	case "array", "object":
		return "an " + t
	case "string", "number", "bool":
		if t == "bool" {
			t = "boolean"
		}
		return "a " + t
	}
	return "another JSON type"
}

// WithoutSuggestions wraps an error presenter so that validation errors
// no longer suggest names ("Did you mean ...?"): with introspection off,
// they would reveal the schema's fields, arguments, types and enum values
// one guess at a time. gqlgen's SetDisableSuggestion covers unknown
// fields only; this covers every rule.
func WithoutSuggestions(next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := next(ctx, err)
		if gqlErr != nil && gqlErr.Extensions["code"] == "GRAPHQL_VALIDATION_FAILED" {
			if i := strings.Index(gqlErr.Message, " Did you mean"); i >= 0 {
				short := *gqlErr
				short.Message = gqlErr.Message[:i]
				return &short
			}
		}
		return gqlErr
	}
}

// classify maps an error to its code and a message safe to show a client.
func classify(err error) (code, msg string) {
	var te *loaders.UpstreamError
	switch {
	case errors.Is(err, ErrKeyRejected):
		return CodeUnauthenticated, ErrKeyRejected.Error()
	case errors.Is(err, loaders.ErrBusy):
		return CodeServerBusy, loaders.ErrBusy.Error()
	case errors.Is(err, loaders.ErrRateLimited):
		return CodeRateLimited, "the customer service's rate limit is exhausted; retry later"
	case errors.Is(err, loaders.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return CodeUpstreamUnavailable, "the customer service is unavailable; try again shortly"
	case errors.Is(err, loaders.ErrUnauthorized), errors.Is(err, loaders.ErrForbidden):
		// The facade's own upstream credential was refused: an operator's
		// problem, not the client's.
		return CodeUpstreamUnavailable, "the customer service refused this service's credentials"
	case errors.Is(err, loaders.ErrValidation) && errors.As(err, &te) && te.Message != "":
		return CodeBadUserInput, te.Message
	case errors.Is(err, loaders.ErrValidation):
		return CodeBadUserInput, "the customer service rejected the request as invalid"
	case errors.Is(err, loaders.ErrBadCursor):
		return CodeBadUserInput, "after: " + loaders.ErrBadCursor.Error()
	case errors.Is(err, identifier.ErrInvalid), errors.Is(err, scalar.ErrInvalid):
		return CodeBadUserInput, unwrapMessage(err)
	case errors.Is(err, context.Canceled):
		return CodeUpstreamUnavailable, "the request was cancelled"
	}
	return CodeInternal, "internal server error"
}

// unwrapMessage returns the innermost message of an input error: the
// value's own explanation, without gqlgen's wrapping.
func unwrapMessage(err error) string {
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Unwrap() != nil {
		return ge.Unwrap().Error()
	}
	return err.Error()
}

// Recover turns a panic in a resolver into an INTERNAL_SERVER_ERROR; the
// panic value and stack go to the log, never to the client.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return &gqlerror.Error{
			Message:    "internal server error",
			Extensions: map[string]any{"code": CodeInternal},
		}
	}
}

// Package persisted serves persisted queries for a gqlgen server: clients
// name an operation by a hash or an id instead of sending its text.
//
// Three modes:
//
//   - APQ (automatic persisted queries, Apollo's protocol): a client sends
//     extensions.persistedQuery.sha256Hash alone; an unknown hash is
//     answered PERSISTED_QUERY_NOT_FOUND, and the client sends the hash
//     with the text, which is verified against the hash, stored (see
//     Store: Redis, shared by every instance, or memory) and served.
//   - Trusted: only the operations of a Manifest are served, named by id,
//     by the SHA-256 of their body, or sent as their exact text. Anything
//     else is refused, PERSISTED_QUERY_NOT_IN_LIST, before it is parsed.
//   - Off: a request naming a persisted query is answered
//     PERSISTED_QUERY_NOT_SUPPORTED; full queries are served.
//
// The Extension fills in the query text before gqlgen parses it, so every
// later check (document limits, validation, complexity) applies to a
// persisted query as to one sent whole. Wrap the handler with WithRequest
// for GraphQL over HTTP's documentId and for refusing a persisted mutation
// sent with GET.
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Mode is how persisted queries are served.
type Mode string

// The modes; see the package documentation.
const (
	APQ     Mode = "apq"
	Trusted Mode = "trusted"
	Off     Mode = "off"
)

// ParseMode returns the Mode named s, or false.
func ParseMode(s string) (Mode, bool) {
	switch m := Mode(s); m {
	case APQ, Trusted, Off:
		return m, true
	}
	return "", false
}

// Error codes in extensions.code. CodeNotFound and CodeNotSupported, with
// the messages "PersistedQueryNotFound" and "PersistedQueryNotSupported",
// are Apollo's APQ protocol: clients retry with the text on the first and
// stop sending hashes on the second. CodeNotInList is Apollo Router's.
const (
	CodeNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	CodeNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
	CodeNotInList    = "PERSISTED_QUERY_NOT_IN_LIST"
	// CodeBadRequest: the persisted query extension, or documentId, is
	// malformed, or its hash is not the text's. The same code as the
	// facade's other malformed requests.
	CodeBadRequest = "BAD_REQUEST"
	// CodeMethodNotAllowed: a persisted mutation sent with GET. The same
	// code as the facade's refusal of a mutation's text sent with GET.
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// A refusal from the list, of a method or of a malformed request is a
// refusal of the request: HTTP 422 (400 to clients accepting
// application/graphql-response+json), like a document that does not
// validate. PERSISTED_QUERY_NOT_FOUND and PERSISTED_QUERY_NOT_SUPPORTED
// stay HTTP 200, as the APQ protocol has them: Apollo clients stop sending
// hashes after a 400.
func init() {
	for _, code := range []string{CodeNotInList, CodeMethodNotAllowed, CodeBadRequest} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

// Result is the outcome of a request, as counted by Extension.Count.
type Result string

// Results, for metrics.
const (
	Hit          Result = "hit"           // APQ: a hash found, its document served
	Miss         Result = "miss"          // APQ: a hash not found (PERSISTED_QUERY_NOT_FOUND)
	Registered   Result = "registered"    // APQ: a hash with its text, stored
	TooLarge     Result = "too_large"     // APQ: a hash with a text too large to store, served
	Invalid      Result = "invalid"       // a malformed extension or a hash that is not the text's
	Listed       Result = "listed"        // trusted: an operation of the manifest, served
	NotInList    Result = "not_in_list"   // trusted: refused
	NotSupported Result = "not_supported" // off: a persisted query refused
)

// Results lists every Result.
var Results = []Result{Hit, Miss, Registered, TooLarge, Invalid, Listed, NotInList, NotSupported}

// Options configure an Extension.
type Options struct {
	Mode Mode
	// Store holds APQ documents; nil is a Memory store with Limits.
	Store Store
	// Limits bound the documents stored (MaxBytes), and a nil Store.
	Limits Limits
	// Manifest lists the operations of Trusted mode; it is required then.
	Manifest *Manifest
	// TokenLimit bounds the parse of a stored document requested with GET,
	// to tell a mutation from a query; 0: no limit.
	TokenLimit int
}

// Extension is a gqlgen handler extension serving persisted queries. Use
// it before any extension that reads the query text.
type Extension struct {
	mode       Mode
	store      Store
	maxBytes   int
	manifest   *Manifest
	tokenLimit int
	counts     map[Result]*atomic.Uint64
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*Extension)(nil)

// New returns an Extension for o.
func New(o Options) (*Extension, error) {
	if _, ok := ParseMode(string(o.Mode)); !ok {
		return nil, fmt.Errorf("persisted queries: mode %q; want apq, trusted or off", o.Mode)
	}
	if o.Mode == Trusted && o.Manifest == nil {
		return nil, fmt.Errorf("persisted queries: trusted mode needs a manifest")
	}
	o.Limits = o.Limits.withDefaults()
	if o.Mode == APQ && o.Store == nil {
		o.Store = NewMemory(o.Limits)
	}
	e := &Extension{
		mode:       o.Mode,
		store:      o.Store,
		maxBytes:   o.Limits.MaxBytes,
		manifest:   o.Manifest,
		tokenLimit: o.TokenLimit,
		counts:     map[Result]*atomic.Uint64{},
	}
	for _, r := range Results {
		e.counts[r] = new(atomic.Uint64)
	}
	return e, nil
}

// ExtensionName names the extension for gqlgen.
func (e *Extension) ExtensionName() string { return "PersistedQueries" }

// Validate accepts any schema.
func (e *Extension) Validate(graphql.ExecutableSchema) error { return nil }

// Count returns how many requests had result r.
func (e *Extension) Count(r Result) uint64 {
	if c := e.counts[r]; c != nil {
		return c.Load()
	}
	return 0
}

func (e *Extension) count(r Result) { e.counts[r].Add(1) }

// MutateOperationParameters resolves the persisted query of p, if any,
// into p.Query, or refuses the request.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if e.mode == Off {
		if info := fromContext(ctx); p.Extensions["persistedQuery"] != nil || info != nil && info.hasDocumentID {
			e.count(NotSupported)
			return coded(CodeNotSupported, "PersistedQueryNotSupported")
		}
		return nil
	}
	key, named, gerr := e.key(ctx, p)
	if gerr != nil {
		e.count(Invalid)
		return gerr
	}
	if e.mode == Trusted {
		return e.trusted(ctx, p, key, named)
	}
	if !named {
		return nil
	}
	return e.apq(ctx, p, key)
}

// key returns the persisted query the request names, by
// extensions.persistedQuery.sha256Hash or by documentId, and whether it
// names one.
func (e *Extension) key(ctx context.Context, p *graphql.RawParams) (string, bool, *gqlerror.Error) {
	var (
		key   string
		named bool
	)
	if v, ok := p.Extensions["persistedQuery"]; ok && v != nil {
		pq, ok := v.(map[string]any)
		if !ok {
			return "", false, badRequest("extensions.persistedQuery must be an object with version 1 and a sha256Hash")
		}
		if !isVersion1(pq["version"]) {
			return "", false, badRequest("extensions.persistedQuery.version must be 1")
		}
		h, ok := pq["sha256Hash"].(string)
		if !ok || h == "" {
			return "", false, badRequest("extensions.persistedQuery.sha256Hash must be a string")
		}
		key, named = h, true
	}
	if info := fromContext(ctx); info != nil && info.hasDocumentID {
		switch {
		case info.badDocumentID:
			return "", false, badRequest("documentId must be a non-empty string")
		case named && !sameKey(key, info.documentID):
			return "", false, badRequest("documentId and extensions.persistedQuery name different documents; send one of them")
		}
		if !named {
			key, named = info.documentID, true
		}
	}
	return key, named, nil
}

// sameKey reports whether a sha256Hash and a documentId name the same
// document.
func sameKey(hash, documentID string) bool {
	id, _ := strings.CutPrefix(documentID, "sha256:")
	return hash == documentID || strings.EqualFold(hash, id)
}

// apq serves APQ: a hash alone is looked up, a hash with its text is
// verified and stored.
func (e *Extension) apq(ctx context.Context, p *graphql.RawParams, key string) *gqlerror.Error {
	hash, _ := strings.CutPrefix(key, "sha256:")
	hash = strings.ToLower(hash)
	if !isHash(hash) {
		e.count(Invalid)
		return badRequest("the persisted query hash must be the SHA-256 of the query: 64 hexadecimal digits")
	}
	stats := &extension.ApqStats{Hash: hash, SentQuery: p.Query != ""}
	if p.Query == "" {
		doc, ok := e.store.Get(ctx, hash)
		if !ok {
			e.count(Miss)
			return coded(CodeNotFound, "PersistedQueryNotFound")
		}
		if err := e.checkGET(ctx, doc, p.OperationName); err != nil {
			e.count(Invalid)
			return err
		}
		p.Query = doc
		e.count(Hit)
	} else {
		if Hash(p.Query) != hash {
			e.count(Invalid)
			return badRequest("the persisted query hash is not the SHA-256 of the query sent with it")
		}
		if len(p.Query) > e.maxBytes {
			e.count(TooLarge) // served, not stored
		} else {
			e.store.Add(ctx, hash, p.Query)
			e.count(Registered)
		}
	}
	if oc := graphql.GetOperationContext(ctx); oc != nil {
		oc.Stats.SetExtension("APQ", stats) // as gqlgen's own APQ does, for tracers
	}
	return nil
}

// trusted serves only the manifest's operations, before anything parses
// the request's text.
func (e *Extension) trusted(ctx context.Context, p *graphql.RawParams, key string, named bool) *gqlerror.Error {
	var op *Operation
	switch {
	case named:
		op = e.manifest.byKey(key)
		if op != nil && p.Query != "" && p.Query != op.Body {
			op = nil // the text is not the named operation's
		}
	case p.Query != "":
		if o := e.manifest.byHash[Hash(p.Query)]; o != nil && o.Body == p.Query {
			op = o
		}
	}
	if op == nil {
		e.count(NotInList)
		return coded(CodeNotInList, "this service serves only its list of trusted operations, and the operation sent is not in it: send a listed operation's id")
	}
	if info := fromContext(ctx); info != nil && info.get && op.Type != "query" {
		e.count(Invalid)
		return methodNotAllowed(op.Type)
	}
	p.Query = op.Body
	e.count(Listed)
	return nil
}

// checkGET refuses a stored document requested with GET whose operation is
// not a query: gqlgen's GET transport would refuse it without a code.
func (e *Extension) checkGET(ctx context.Context, doc, operationName string) *gqlerror.Error {
	info := fromContext(ctx)
	if info == nil || !info.get || (!strings.Contains(doc, "mutation") && !strings.Contains(doc, "subscription")) {
		return nil
	}
	parsed, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: doc}, e.tokenLimit)
	if err != nil {
		return nil // gqlgen reports it
	}
	if op := parsed.Operations.ForName(operationName); op != nil && op.Operation != ast.Query {
		return methodNotAllowed(string(op.Operation))
	}
	return nil
}

func methodNotAllowed(opType string) *gqlerror.Error {
	return coded(CodeMethodNotAllowed, "GET runs queries only; send "+opType+"s with POST")
}

// Hash returns the SHA-256 of doc in lowercase hex, as APQ hashes it.
func Hash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

// isHash reports whether s is 64 lowercase hex digits.
func isHash(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isVersion1 reports whether v, a decoded JSON value, is the number 1.
func isVersion1(v any) bool {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		return err == nil && f == 1
	case float64:
		return v == 1
	case int:
		return v == 1
	case int64:
		return v == 1
	}
	return false
}

func coded(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

func badRequest(msg string) *gqlerror.Error { return coded(CodeBadRequest, msg) }

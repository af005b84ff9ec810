package resolvers

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestErrorPresenterRequestErrors(t *testing.T) {
	var logs bytes.Buffer
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	// What gqlgen's POST transport reports for a body that is not JSON.
	err := gqlerror.Errorf("json request body could not be decoded: %+v body:%s", "invalid character 'x'", "x{secret body}")
	got := present(context.Background(), err)
	if got.Extensions["code"] != CodeBadRequest || got.Message != "json request body could not be decoded: invalid character 'x'" {
		t.Errorf("undecodable body: %q %v; want BAD_REQUEST without the body", got.Message, got.Extensions)
	}
	if logs.Len() != 0 {
		t.Errorf("a client's bad request was logged as unexpected: %s", logs.String())
	}
	// The same error from inside a field is not the request's fault.
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{}})
	if got := present(ctx, gqlerror.Errorf("something odd")); got.Extensions["code"] != CodeInternal {
		t.Errorf("error in a field: code %v; want INTERNAL_SERVER_ERROR", got.Extensions["code"])
	}
}

func TestWithoutSuggestions(t *testing.T) {
	present := WithoutSuggestions(ErrorPresenter(slog.New(slog.DiscardHandler)))
	for _, msg := range []string{
		`Cannot query field "emal" on type "Customer". Did you mean "email" or "emails"?`,
		`Value "ACTIV" does not exist in "CustomerStatus" enum. Did you mean the enum value "ACTIVE" or "INACTIVE"?`,
		`Unknown argument "frist" on field "Query.customers". Did you mean "first"?`,
	} {
		err := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
		got := present(context.Background(), err)
		if strings.Contains(got.Message, "Did you mean") || !strings.HasPrefix(msg, got.Message) || !strings.HasSuffix(got.Message, ".") {
			t.Errorf("%q presented as %q; want the sentence before the suggestion", msg, got.Message)
		}
		if err.Message != msg {
			t.Errorf("the original error was changed to %q", err.Message)
		}
	}
	// Only validation errors are touched.
	err := badInput(`first: Did you mean 10?`)
	if got := present(context.Background(), err); got.Message != `first: Did you mean 10?` {
		t.Errorf("BAD_USER_INPUT message changed to %q", got.Message)
	}
}

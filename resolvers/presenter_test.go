package resolvers

import (
	"bytes"
	"context"
	"log/slog"
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

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"customergraph/internal/persisted"
)

// postTransport is gqlgen's POST transport (transport.POST, whose Supports
// it keeps) with one difference: it writes a response's data as gqlgen
// marshalled it, HTML-escaped, rather than through encoding/json, which
// validates and compacts the whole document again — a fifth of the work of
// a large response. The bytes written are the same: gqlgen writes compact
// JSON (the JSON scalar compacts what it writes, see scalar.MarshalJSON),
// and encoding/json's escaping is json.HTMLEscape's.
// TestPostTransportWritesAsGqlgen compares the two.
type postTransport struct {
	transport.POST
}

// Content types of a response, as transport.POST negotiates them.
const (
	contentTypeJSON         = "application/json"
	contentTypeGraphQLReply = "application/graphql-response+json"
)

func (h postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Add("Content-Type", contentType)
	start := graphql.Now()

	body, err := readBody(r)
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	persisted.NoteBody(ctx, body) // GraphQL over HTTP's documentId, which RawParams drops
	var params graphql.RawParams
	if !decodeParams(body, &params) {
		err = decodeParamsStd(body, &params)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{
			gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, string(body)),
		}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == contentTypeGraphQLReply {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// readBody reads r's body as io.ReadAll would, into one allocation of its
// length when it has one.
func readBody(r *http.Request) ([]byte, error) {
	n := r.ContentLength
	if n <= 0 || n > 1<<30 {
		return io.ReadAll(r.Body)
	}
	body := make([]byte, n)
	for off := 0; off < len(body); {
		k, err := r.Body.Read(body[off:])
		off += k
		switch {
		case err == io.EOF:
			return body[:off], nil // shorter than it said: what there is, as io.ReadAll
		case err != nil:
			return nil, err
		}
	}
	// Whatever follows, should a body be longer than it said.
	var probe [1]byte
	if k, _ := r.Body.Read(probe[:]); k > 0 {
		rest, err := io.ReadAll(r.Body)
		return append(append(body, probe[0]), rest...), err
	}
	return body, nil
}

// responseContentType is the content type transport.POST answers r with.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return contentTypeJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", contentTypeJSON:
			return contentTypeJSON
		case contentTypeGraphQLReply:
			return contentTypeGraphQLReply
		}
	}
	return contentTypeGraphQLReply
}

// responseBuffers hold responses while they are written: w.Write copies
// them (an io.Writer keeps nothing of what it is given).
var responseBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledResponse bounds the buffers kept for reuse.
const maxPooledResponse = 1 << 20

// writeResponse writes resp as encoding/json would, but for its data,
// which is copied HTML-escaped (see postTransport).
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil || (resp.Data != nil && len(resp.Data) == 0) {
		b, err := json.Marshal(resp)
		if err != nil {
			panic(err) // as transport.POST does: nothing to answer with
		}
		w.Write(b)
		return
	}
	b := responseBuffers.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= maxPooledResponse {
			b.Reset()
			responseBuffers.Put(b)
		}
	}()
	b.Grow(len(resp.Data) + 64)
	b.WriteByte('{')
	field := func(name string, v any) {
		doc, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b.WriteString(`"` + name + `":`)
		b.Write(doc)
		b.WriteByte(',')
	}
	if len(resp.Errors) > 0 {
		field("errors", resp.Errors)
	}
	b.WriteString(`"data":`)
	if resp.Data == nil {
		b.WriteString("null")
	} else {
		json.HTMLEscape(b, resp.Data)
	}
	b.WriteByte(',')
	if resp.Label != "" {
		field("label", resp.Label)
	}
	if len(resp.Path) > 0 {
		field("path", resp.Path)
	}
	if resp.HasNext != nil {
		field("hasNext", resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		field("extensions", resp.Extensions)
	}
	out := b.Bytes()
	out[len(out)-1] = '}' // the last field's comma
	w.Write(out)
}

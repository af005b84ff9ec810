package persisted

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// requestInfo is what WithRequest learns of a request for the Extension:
// gqlgen's transports drop documentId and do not tell the method.
type requestInfo struct {
	get           bool   // a GET: queries only
	hasDocumentID bool   // documentId was sent
	badDocumentID bool   // ... but is not a non-empty string
	documentID    string // GraphQL over HTTP's persisted document id
}

type infoKey struct{}

func fromContext(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// documentIDField is looked for in a POST body before it is decoded.
var documentIDField = []byte(`"documentId"`)

// WithRequest lets the Extension see GraphQL over HTTP's documentId (a
// POST body's field, or a GET parameter), which names a persisted document
// like extensions.persistedQuery.sha256Hash, and whether the request is a
// GET. A POST body is read here and handed on; bound its size before this
// handler. A body without "documentId" is not decoded.
func WithRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{get: r.Method == http.MethodGet}
		switch r.Method {
		case http.MethodGet:
			if v, ok := r.URL.Query()["documentId"]; ok {
				info.hasDocumentID, info.documentID = true, v[0]
				info.badDocumentID = v[0] == ""
			}
		case http.MethodPost:
			if r.Body == nil || r.Body == http.NoBody {
				break
			}
			body, err := io.ReadAll(r.Body)
			var rest io.Reader = bytes.NewReader(body)
			if err != nil {
				rest = io.MultiReader(rest, errReader{err}) // gqlgen reports it
			}
			r.Body = io.NopCloser(rest)
			if err == nil && bytes.Contains(body, documentIDField) {
				readDocumentID(body, info)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

// readDocumentID reads a POST body's documentId. A body that does not
// decode is left for gqlgen to refuse.
func readDocumentID(body []byte, info *requestInfo) {
	var b struct {
		DocumentID json.RawMessage `json:"documentId"`
	}
	if json.Unmarshal(body, &b) != nil || b.DocumentID == nil || string(b.DocumentID) == "null" {
		return
	}
	info.hasDocumentID = true
	if json.Unmarshal(b.DocumentID, &info.documentID) != nil || info.documentID == "" {
		info.badDocumentID = true
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

package persisted

import (
	"bytes"
	"context"
	"encoding/json"
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

// WithRequest lets the Extension see GraphQL over HTTP's documentId,
// which names a persisted document like extensions.persistedQuery.sha256Hash,
// and whether the request is a GET. It reads a GET's documentId parameter
// itself; a POST body's is read by the transport, which reads the body
// anyway, through NoteBody.
func WithRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{get: r.Method == http.MethodGet}
		if r.Method == http.MethodGet {
			if v, ok := r.URL.Query()["documentId"]; ok {
				info.hasDocumentID, info.documentID = true, v[0]
				info.badDocumentID = v[0] == ""
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

// NoteBody tells the Extension of the request ctx belongs to (see
// WithRequest) the documentId of its POST body, if any. A body without
// "documentId" is not decoded.
func NoteBody(ctx context.Context, body []byte) {
	if info := fromContext(ctx); info != nil && bytes.Contains(body, documentIDField) {
		readDocumentID(body, info)
	}
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

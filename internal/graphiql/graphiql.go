// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from files
// embedded in the binary: the page loads no script, stylesheet or font from
// another origin, so it works offline and under a Content-Security-Policy
// that allows this origin alone.
//
// The third-party files in static/vendor are pinned npm releases, refreshed
// by update.sh, which records their versions in static/vendor/VERSIONS and
// their SHA-256 in static/vendor/SHA256SUMS. The page's own files are
// static/boot.js, which starts GraphiQL with the settings the page carries
// in a JSON element, and static/page.css.
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// AssetsPath is the path under which the page's files are served, followed
// by a version derived from their contents and the file's name, e.g.
// /graphiql/assets/0123456789ab/boot.js. A new build with other files has
// another version, so the files can be cached for good.
const AssetsPath = "/graphiql/assets/"

// ContentSecurityPolicy is sent with the page. Scripts, stylesheets and
// requests come from this origin only; images and fonts from this origin or
// inlined as data: URLs (GraphiQL's stylesheet inlines its fonts); nothing
// from any other origin. The one relaxation: GraphiQL's dialogs add a
// <style> element while they are open (the scroll lock of
// react-remove-scroll, whose rules depend on the page's margins, so no hash
// can name it), hence 'unsafe-inline' for style elements; style attributes
// in markup stay refused, and scripts are this origin's files alone.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; " +
	"style-src 'self'; style-src-elem 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Options configure the page.
type Options struct {
	// Title is the page's title; "GraphiQL" when empty.
	Title string
	// Endpoint is the GraphQL endpoint, a path on this origin such as
	// "/graphql".
	Endpoint string
	// DefaultQuery fills the query editor on a first visit.
	DefaultQuery string
	// KeyRequired says that requests need an Authorization bearer key: the
	// headers editor starts with a placeholder for it, and the page says
	// so.
	KeyRequired bool
	// Introspection says whether the endpoint answers introspection. When
	// it does not, the page does not ask for the schema and says why the
	// documentation explorer and autocompletion are empty.
	Introspection bool
	// TrustedOnly says that the endpoint runs only the operations of a
	// list of trusted documents: the page says that anything else typed
	// in it is refused, and does not ask for the schema (introspection is
	// not on the list either).
	TrustedOnly bool
}

// KeyPlaceholder is what the headers editor holds where the key goes when
// a key is required.
const KeyPlaceholder = "<your client key>"

// Handler serves the page and its files.
type Handler struct {
	page   []byte
	assets *assetSet
}

// settings is what boot.js reads from the page's JSON element.
type settings struct {
	Title          string `json:"title"`
	Endpoint       string `json:"endpoint"`
	DefaultQuery   string `json:"defaultQuery"`
	DefaultHeaders string `json:"defaultHeaders"`
	KeyPlaceholder string `json:"keyPlaceholder,omitempty"`
	Introspection  bool   `json:"introspection"`
}

// New builds the page for o.
func New(o Options) (*Handler, error) {
	if !strings.HasPrefix(o.Endpoint, "/") || strings.HasPrefix(o.Endpoint, "//") || strings.ContainsAny(o.Endpoint, "\\?#") {
		return nil, errors.New("graphiql: the endpoint must be a path on this origin, like /graphql")
	}
	if o.Title == "" {
		o.Title = "GraphiQL"
	}
	set, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := settings{Title: o.Title, Endpoint: o.Endpoint, DefaultQuery: o.DefaultQuery, Introspection: o.Introspection && !o.TrustedOnly}
	if o.KeyRequired {
		s.DefaultHeaders = "{\n  \"Authorization\": \"Bearer " + KeyPlaceholder + "\"\n}"
		s.KeyPlaceholder = KeyPlaceholder
	}
	// json.Marshal escapes <, > and &, so the JSON cannot close the
	// element it sits in.
	js, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = pageTemplate.Execute(&buf, map[string]any{
		"Title":         o.Title,
		"Settings":      template.JS(js),
		"Assets":        AssetsPath + set.version + "/",
		"KeyRequired":   o.KeyRequired,
		"Introspection": o.Introspection,
		"TrustedOnly":   o.TrustedOnly,
		"Placeholder":   KeyPlaceholder,
	})
	if err != nil {
		return nil, err
	}
	return &Handler{page: buf.Bytes(), assets: set}, nil
}

// AssetURL returns the path the file name (e.g. "boot.js" or
// "vendor/graphiql/graphiql.min.js") is served at.
func (h *Handler) AssetURL(name string) string {
	return AssetsPath + h.assets.version + "/" + name
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{.Assets}}vendor/graphiql/graphiql.min.css">
<link rel="stylesheet" href="{{.Assets}}page.css">
<script type="application/json" id="graphiql-settings">{{.Settings}}</script>
</head>
<body>
{{- if or .KeyRequired (not .Introspection) .TrustedOnly}}
<div class="cg-notes">
{{- if .KeyRequired}}
<p class="cg-note" id="note-key" role="note">This service needs a client key. In <strong>Headers</strong>, below the query, replace <code>{{.Placeholder}}</code> with your key; the documentation explorer loads the schema once the key is accepted.</p>
{{- end}}
{{- if not .Introspection}}
<p class="cg-note" id="note-introspection" role="note">Introspection is turned off on this service, so GraphiQL cannot load the schema: the documentation explorer and autocompletion stay empty. Queries still run.</p>
{{- end}}
{{- if .TrustedOnly}}
<p class="cg-note" id="note-trusted" role="note">This service runs only its trusted operations (<code>PERSISTED_QUERIES=trusted</code>): an operation typed here is refused with <code>PERSISTED_QUERY_NOT_IN_LIST</code> unless it is one of them, word for word. The schema is not loaded, since introspection is not one of them.</p>
{{- end}}
</div>
{{- end}}
<div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
<script src="{{.Assets}}vendor/react/react.production.min.js"></script>
<script src="{{.Assets}}vendor/react-dom/react-dom.production.min.js"></script>
<script src="{{.Assets}}vendor/graphiql/graphiql.min.js"></script>
<script src="{{.Assets}}boot.js"></script>
</body>
</html>
`))

// Page serves the GraphiQL page.
func (h *Handler) Page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		securityHeaders(hd)
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Content-Type", "text/html; charset=utf-8")
		// The page names this build's assets: a browser asks again each
		// time, so a new build's page is never mixed with old files.
		hd.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
	})
}

// Assets serves the page's files under AssetsPath.
func (h *Handler) Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		securityHeaders(hd)
		version, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, AssetsPath), "/")
		a, ok := h.assets.files[name]
		if !ok || version != h.assets.version || !strings.HasPrefix(r.URL.Path, AssetsPath) {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		file, etag := a.file, a.etag
		if a.gzFile != "" {
			hd.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Get("Accept-Encoding")) {
				file, etag = a.gzFile, a.gzETag
				hd.Set("Content-Encoding", "gzip")
			}
		}
		// Served from the binary itself: an embedded file read through
		// Open is not copied to the heap, as ReadFile's would be.
		f, err := static.Open(file)
		if err != nil {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		defer f.Close()
		body, ok := f.(io.ReadSeeker)
		if !ok {
			http.Error(w, "500 internal server error", http.StatusInternalServerError)
			return
		}
		hd.Set("Content-Type", a.contentType)
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		hd.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, body)
	})
}

func securityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// acceptsGzip reports whether an Accept-Encoding header value accepts
// gzip: named, or matched by *, with a quality above zero.
func acceptsGzip(header string) bool {
	gzip, star := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				q = parseQ(strings.TrimSpace(v))
			}
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzip = q
		case "*":
			star = q
		}
	}
	if gzip >= 0 {
		return gzip > 0
	}
	return star > 0
}

// parseQ reads a quality value; one that is not a number from 0 to 1
// counts as 0.
func parseQ(v string) float64 {
	q, err := strconv.ParseFloat(v, 64)
	if err != nil || !(q >= 0 && q <= 1) {
		return 0
	}
	return q
}

// assetSet is every servable file of the embedded tree, each named and
// digested once. The files are not copied: Assets serves them from the
// binary (some 6 MB, which would otherwise be garbage-collected heap).
type assetSet struct {
	version string // the first 12 hex digits of a digest of every file
	files   map[string]*asset
}

type asset struct {
	file, gzFile string // paths in static; gzFile "" without a gzip copy
	contentType  string
	etag, gzETag string
}

// contentTypes are the kinds of file served; any other file is not.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// digest returns the SHA-256 of the embedded file name, read as a stream.
func digest(name string) (sum [sha256.Size]byte, err error) {
	f, err := static.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

var loadAssets = sync.OnceValues(readAssets)

// readAssets names and digests every servable file.
func readAssets() (*assetSet, error) {
	set := &assetSet{files: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, strings.TrimPrefix(p, "static/"))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	whole := sha256.New()
	for _, name := range names {
		sum, err := digest("static/" + name)
		if err != nil {
			return nil, err
		}
		whole.Write([]byte(name + "\x00" + hex.EncodeToString(sum[:]) + "\n"))
		ctype := contentTypes[path.Ext(name)]
		if path.Base(name) == "LICENSE" {
			ctype = "text/plain; charset=utf-8"
		}
		if ctype == "" {
			continue // VERSIONS, SHA256SUMS and the .gz copies
		}
		a := &asset{file: "static/" + name, contentType: ctype, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		if gsum, err := digest("static/" + name + ".gz"); err == nil {
			a.gzFile, a.gzETag = "static/"+name+".gz", `"`+hex.EncodeToString(gsum[:16])+`-gz"`
		}
		set.files[name] = a
	}
	set.version = hex.EncodeToString(whole.Sum(nil))[:12]
	return set, nil
}

package graphiql

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// newMux serves h as the service does.
func newMux(t *testing.T, o Options) (*Handler, http.Handler) {
	t.Helper()
	if o.Endpoint == "" {
		o.Endpoint = "/graphql"
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", h.Page())
	mux.Handle("GET "+AssetsPath, h.Assets())
	return h, mux
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	linkTag     = regexp.MustCompile(`(?is)<link\b[^>]*>`)
	urlAttr     = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)
	settingsTag = regexp.MustCompile(`(?s)<script type="application/json" id="graphiql-settings">(.*?)</script>`)
)

// pageSettings returns the settings the page carries for boot.js.
func pageSettings(t *testing.T, body string) settings {
	t.Helper()
	m := settingsTag.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page has no settings element:\n%s", body)
	}
	var s settings
	if err := json.Unmarshal([]byte(m[1]), &s); err != nil {
		t.Fatalf("the settings are not JSON: %v\n%s", err, m[1])
	}
	return s
}

func TestPageHeadersAndMarkup(t *testing.T) {
	h, mux := newMux(t, Options{Title: "customergraph", DefaultQuery: "{ customers { nodes { id } } }", Introspection: true})
	rec := get(t, mux, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d", rec.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-cache",
		"X-Frame-Options":         "DENY",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self';"} {
		if !strings.Contains(csp, d) {
			t.Errorf("the CSP lacks %q: %s", d, csp)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "*") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("the CSP allows another origin or eval: %s", csp)
	}

	body := rec.Body.String()
	if !strings.Contains(body, "<title>customergraph</title>") {
		t.Error("the page's title is not the one configured")
	}
	s := pageSettings(t, body)
	want := settings{Title: "customergraph", Endpoint: "/graphql", DefaultQuery: "{ customers { nodes { id } } }", Introspection: true}
	if s != want {
		t.Errorf("settings = %+v, want %+v", s, want)
	}
	if strings.Contains(body, `id="note-`) {
		t.Error("a page that needs no key and has introspection shows a note")
	}

	// Every script is a file of this build, but for the settings, which
	// are data; the boot script comes last.
	scripts := scriptTag.FindAllStringSubmatch(body, -1)
	var srcs []string
	for _, m := range scripts {
		attrs, content := m[1], m[2]
		if strings.Contains(attrs, `type="application/json"`) {
			continue
		}
		if strings.TrimSpace(content) != "" {
			t.Errorf("inline script: %s", m[0])
		}
		src := urlAttr.FindStringSubmatch(attrs)
		if src == nil {
			t.Errorf("script without src: %s", m[0])
			continue
		}
		srcs = append(srcs, src[1])
	}
	wantSrcs := []string{
		h.AssetURL("vendor/react/react.production.min.js"),
		h.AssetURL("vendor/react-dom/react-dom.production.min.js"),
		h.AssetURL("vendor/graphiql/graphiql.min.js"),
		h.AssetURL("boot.js"),
	}
	if strings.Join(srcs, " ") != strings.Join(wantSrcs, " ") {
		t.Errorf("scripts = %q, want %q", srcs, wantSrcs)
	}
	if strings.Contains(body, " on") && regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`).MatchString(body) {
		t.Error("the page has an inline event handler")
	}
	if regexp.MustCompile(`(?i)\sstyle\s*=`).MatchString(body) {
		t.Error("the page has a style attribute, which its CSP refuses")
	}
	// Each file the page names is served.
	for _, tag := range append(linkTag.FindAllString(body, -1), srcs...) {
		for _, m := range urlAttr.FindAllStringSubmatch(tag, -1) {
			checkLocal(t, "the page", m[1])
		}
	}
	for _, src := range srcs {
		if rec := get(t, mux, src); rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", src, rec.Code)
		}
	}
	for _, m := range linkTag.FindAllString(body, -1) {
		href := urlAttr.FindStringSubmatch(m)
		if href == nil || strings.HasPrefix(href[1], "data:") {
			continue
		}
		if rec := get(t, mux, href[1]); rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", href[1], rec.Code)
		}
	}

	// HEAD, for clients that check the page first.
	req := httptest.NewRequest(http.MethodHead, "/", nil)
	hrec := httptest.NewRecorder()
	mux.ServeHTTP(hrec, req)
	if hrec.Code != http.StatusOK || hrec.Header().Get("Content-Security-Policy") == "" || hrec.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with CSP %q and %d bytes", hrec.Code, hrec.Header().Get("Content-Security-Policy"), hrec.Body.Len())
	}
}

// checkLocal fails t when ref, named in what, loads from another origin.
func checkLocal(t *testing.T, what, ref string) {
	t.Helper()
	ref = html.UnescapeString(strings.Trim(strings.TrimSpace(ref), `"'`))
	switch {
	case strings.HasPrefix(ref, "data:"):
	case strings.HasPrefix(ref, "//"), strings.Contains(ref, "://"), strings.HasPrefix(strings.ToLower(ref), "javascript:"):
		t.Errorf("%s loads %q, from another origin", what, ref)
	}
}

func TestPageKeyRequired(t *testing.T) {
	_, mux := newMux(t, Options{KeyRequired: true, Introspection: true})
	body := get(t, mux, "/").Body.String()
	s := pageSettings(t, body)
	var headers map[string]string
	if err := json.Unmarshal([]byte(s.DefaultHeaders), &headers); err != nil {
		t.Fatalf("default headers %q are not a JSON object: %v", s.DefaultHeaders, err)
	}
	if headers["Authorization"] != "Bearer "+KeyPlaceholder || len(headers) != 1 {
		t.Errorf("default headers = %q, want only the Authorization placeholder", s.DefaultHeaders)
	}
	if s.KeyPlaceholder != KeyPlaceholder {
		t.Errorf("settings name the placeholder %q, want %q: boot.js would ask for the schema with it", s.KeyPlaceholder, KeyPlaceholder)
	}
	if !strings.Contains(body, `id="note-key"`) || !strings.Contains(body, "<code>"+html.EscapeString(KeyPlaceholder)+"</code>") {
		t.Errorf("the page does not say that a key is needed:\n%s", body)
	}
	if strings.Contains(body, `id="note-introspection"`) {
		t.Error("the page says introspection is off, but it is on")
	}
}

func TestPageDemoNeedsNoKey(t *testing.T) {
	_, mux := newMux(t, Options{Introspection: true})
	body := get(t, mux, "/").Body.String()
	if s := pageSettings(t, body); s.DefaultHeaders != "" {
		t.Errorf("default headers = %q, want none", s.DefaultHeaders)
	}
	if strings.Contains(body, "note-key") || strings.Contains(body, "client key") {
		t.Error("a service without keys asks for one")
	}
}

func TestPageIntrospectionOff(t *testing.T) {
	_, mux := newMux(t, Options{Introspection: false, KeyRequired: true})
	body := get(t, mux, "/").Body.String()
	if s := pageSettings(t, body); s.Introspection {
		t.Error("settings say introspection is on")
	}
	note := regexp.MustCompile(`(?s)<p class="cg-note" id="note-introspection" role="note">(.*?)</p>`).FindStringSubmatch(body)
	if note == nil {
		t.Fatalf("no introspection note:\n%s", body)
	}
	for _, want := range []string{"Introspection is turned off", "documentation explorer", "autocompletion", "Queries still run"} {
		if !strings.Contains(note[1], want) {
			t.Errorf("the note %q does not say %q", note[1], want)
		}
	}
	if !strings.Contains(body, `id="note-key"`) {
		t.Error("the key note is gone when introspection is off")
	}
}

// The settings are data in the page: a default query cannot close their
// element or add markup.
func TestPageSettingsEscaped(t *testing.T) {
	evil := "# </script><script>alert(1)</script> & <!-- \u2028\n{ customers { nodes { id } } }"
	_, mux := newMux(t, Options{DefaultQuery: evil, Title: `a</title><script>alert(2)</script>`})
	body := get(t, mux, "/").Body.String()
	if s := pageSettings(t, body); s.DefaultQuery != evil {
		t.Errorf("default query = %q, want %q", s.DefaultQuery, evil)
	}
	if strings.Contains(body, "alert(") && strings.Count(body, "<script") != 5 {
		t.Errorf("the options added script elements:\n%s", body)
	}
	if strings.Contains(body, "<script>alert") {
		t.Errorf("the options are not escaped:\n%s", body)
	}
}

func TestNewRefusesAnotherOrigin(t *testing.T) {
	for _, ep := range []string{"", "graphql", "//example.com/graphql", "https://example.com/graphql", "/\\example.com", "/graphql?x=1"} {
		if _, err := New(Options{Endpoint: ep}); err == nil {
			t.Errorf("New accepted the endpoint %q", ep)
		}
	}
}

func TestAssetsTypesAndCaching(t *testing.T) {
	h, mux := newMux(t, Options{})
	for name, ctype := range map[string]string{
		"boot.js":                                      "text/javascript; charset=utf-8",
		"page.css":                                     "text/css; charset=utf-8",
		"vendor/graphiql/graphiql.min.js":              "text/javascript; charset=utf-8",
		"vendor/graphiql/graphiql.min.css":             "text/css; charset=utf-8",
		"vendor/react/react.production.min.js":         "text/javascript; charset=utf-8",
		"vendor/react-dom/react-dom.production.min.js": "text/javascript; charset=utf-8",
		"vendor/graphiql/LICENSE":                      "text/plain; charset=utf-8",
		"vendor/react/LICENSE":                         "text/plain; charset=utf-8",
	} {
		rec := get(t, mux, h.AssetURL(name))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", name, rec.Code)
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type = %q, want %q", name, got, ctype)
		}
		if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control = %q", name, got)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", name)
		}
		if rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: encoded %q for a client that accepts no encoding", name, rec.Header().Get("Content-Encoding"))
		}
		want, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%s: served %d bytes, not the embedded %d", name, rec.Body.Len(), len(want))
		}
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", name)
			continue
		}
		if rec := get(t, mux, h.AssetURL(name), "If-None-Match", etag); rec.Code != http.StatusNotModified {
			t.Errorf("%s: If-None-Match its ETag = %d, want 304", name, rec.Code)
		}
	}
	if !regexp.MustCompile(`^/graphiql/assets/[0-9a-f]{12}/boot\.js$`).MatchString(h.AssetURL("boot.js")) {
		t.Errorf("asset URL %s has no version", h.AssetURL("boot.js"))
	}
}

func TestAssetsGzip(t *testing.T) {
	h, mux := newMux(t, Options{})
	for _, name := range []string{"vendor/graphiql/graphiql.min.js", "vendor/graphiql/graphiql.min.css", "vendor/react/react.production.min.js", "vendor/react-dom/react-dom.production.min.js"} {
		plain := get(t, mux, h.AssetURL(name))
		zipped := get(t, mux, h.AssetURL(name), "Accept-Encoding", "br, gzip, deflate")
		if zipped.Code != http.StatusOK || zipped.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("%s with Accept-Encoding gzip: %d, Content-Encoding %q", name, zipped.Code, zipped.Header().Get("Content-Encoding"))
			continue
		}
		for _, rec := range []*httptest.ResponseRecorder{plain, zipped} {
			if rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: Vary = %q", name, rec.Header().Get("Vary"))
			}
		}
		if zipped.Header().Get("Content-Type") != plain.Header().Get("Content-Type") {
			t.Errorf("%s: gzip changes the content type to %q", name, zipped.Header().Get("Content-Type"))
		}
		if zipped.Header().Get("ETag") == plain.Header().Get("ETag") {
			t.Errorf("%s: the gzip copy has the plain file's ETag", name)
		}
		if zipped.Body.Len() >= plain.Body.Len() {
			t.Errorf("%s: gzip is %d bytes, the file %d", name, zipped.Body.Len(), plain.Body.Len())
		}
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(unzipped, plain.Body.Bytes()) {
			t.Errorf("%s: the gzip copy does not unpack to the file", name)
		}
		if rec := get(t, mux, h.AssetURL(name), "Accept-Encoding", "gzip;q=0, identity"); rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: gzip sent to a client that refuses it", name)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                       false,
		"gzip":                   true,
		"GZIP":                   true,
		"deflate, gzip;q=1.0, *": true,
		"br;q=1, gzip;q=0.5":     true,
		"gzip;q=0":               false,
		"gzip; q=0.000":          false,
		"identity":               false,
		"*":                      true,
		"*;q=0":                  false,
		"*, gzip;q=0":            false,
		"x-gzip":                 true,
		"gzip;q=nonsense":        false,
		"gzipper":                false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestAssetsNotFound(t *testing.T) {
	h, mux := newMux(t, Options{})
	version := strings.TrimSuffix(strings.TrimPrefix(h.AssetURL(""), AssetsPath), "/")
	for _, path := range []string{
		h.AssetURL("nope.js"),
		h.AssetURL(""),
		h.AssetURL("vendor/VERSIONS"),
		h.AssetURL("vendor/SHA256SUMS"),
		h.AssetURL("vendor/graphiql/graphiql.min.js.gz"),
		h.AssetURL("vendor/graphiql"),
		h.AssetURL("../graphiql.go"),
		h.AssetURL("vendor/../boot.js"),
		AssetsPath + "000000000000/boot.js",
		AssetsPath + "boot.js",
		AssetsPath,
		AssetsPath + version,
		"/graphiql/",
		"/nope",
	} {
		// The handler itself: the mux would redirect a path with ".." to
		// its clean form first.
		var srv http.Handler = h.Assets()
		if !strings.HasPrefix(path, AssetsPath) {
			srv = mux
		}
		rec := get(t, srv, path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" && srv != mux {
			t.Errorf("GET %s: 404 without nosniff", path)
		}
		if strings.Contains(rec.Body.String(), "static/") || strings.Contains(rec.Body.String(), "graphiql.go") {
			t.Errorf("GET %s tells where the files live: %q", path, rec.Body.String())
		}
	}
}

// The checksums recorded by update.sh hold for every embedded file, and
// every file is recorded.
func TestEmbeddedFilesMatchChecksums(t *testing.T) {
	sums, err := static.ReadFile("static/vendor/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			t.Fatalf("SHA256SUMS: malformed line %q", sc.Text())
		}
		recorded[name] = sum
	}
	if len(recorded) == 0 {
		t.Fatal("SHA256SUMS lists no file")
	}
	seen := map[string]bool{}
	err = fs.WalkDir(static, "static/vendor", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, "static/vendor/")
		if name == "SHA256SUMS" || name == "VERSIONS" {
			return nil
		}
		seen[name] = true
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		if want, ok := recorded[name]; !ok {
			t.Errorf("%s is embedded but not in SHA256SUMS", name)
		} else if hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s: SHA-256 %x, SHA256SUMS records %s", name, sum, want)
		}
		if gzName, ok := strings.CutSuffix(p, ".gz"); ok {
			plain, err := static.ReadFile(gzName)
			if err != nil {
				t.Errorf("%s has no uncompressed file beside it", name)
				return nil
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return nil
			}
			if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, plain) {
				t.Errorf("%s does not unpack to %s (%v)", name, gzName, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range recorded {
		if !seen[name] {
			t.Errorf("SHA256SUMS records %s, which is not embedded", name)
		}
	}

	// Each package is pinned to an exact version, with npm's integrity,
	// and has its licence beside it.
	versions, err := static.ReadFile("static/vendor/VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string]bool{}
	line := regexp.MustCompile(`^([a-z][a-z0-9-]*) ([0-9]+\.[0-9]+\.[0-9]+) (sha512-[A-Za-z0-9+/]+={0,2})$`)
	for _, l := range strings.Split(strings.TrimSpace(string(versions)), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("VERSIONS: malformed line %q", l)
			continue
		}
		pinned[m[1]] = true
		if _, ok := recorded[m[1]+"/LICENSE"]; !ok {
			t.Errorf("%s has no LICENSE beside it", m[1])
		}
	}
	for _, pkg := range []string{"graphiql", "react", "react-dom"} {
		if !pinned[pkg] {
			t.Errorf("VERSIONS does not pin %s", pkg)
		}
	}
	for name := range recorded {
		if dir, _, _ := strings.Cut(name, "/"); !pinned[dir] {
			t.Errorf("%s belongs to no pinned package", name)
		}
	}
}

// What a browser would load from the page's files stays on this origin:
// the stylesheets' url() and @import, the bundles' source maps, workers and
// script imports. (The bundles also hold URLs in comments and messages;
// those load nothing.)
func TestAssetsLoadNothingFromElsewhere(t *testing.T) {
	cssURL := regexp.MustCompile(`(?i)url\(\s*([^)]*)\)`)
	jsLoad := regexp.MustCompile(`(?i)(?:importScripts\s*\(|new\s+(?:Shared)?Worker\s*\(|\bimport\s*\(|sourceMappingURL=|\.src\s*=|createElement\(\s*["'](?:script|link|img|iframe)["'])\s*["'\x60]?([^"'\x60)\s]*)`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		text := string(body)
		switch {
		case strings.HasSuffix(p, ".css"):
			if strings.Contains(strings.ToLower(text), "@import") {
				t.Errorf("%s imports a stylesheet", p)
			}
			n := 0
			for _, m := range cssURL.FindAllStringSubmatch(text, -1) {
				n++
				ref := strings.Trim(strings.TrimSpace(m[1]), `"'`)
				if !strings.HasPrefix(ref, "data:") {
					t.Errorf("%s: url(%.60s) is not a data: URL", p, ref)
				}
			}
			if strings.HasSuffix(p, "graphiql.min.css") && n == 0 {
				t.Errorf("%s: found no url() at all; the scan reads nothing", p)
			}
		case strings.HasSuffix(p, ".js"):
			for _, m := range jsLoad.FindAllStringSubmatch(text, -1) {
				checkLocal(t, p, m[1])
			}
			if strings.Contains(text, "//cdn") || strings.Contains(text, "unpkg.com") || strings.Contains(text, "jsdelivr.net/") {
				// Only as text of an error message, never as a load:
				// the bundle points to its CDN example in one.
				for _, l := range strings.Split(text, "\n") {
					if (strings.Contains(l, "//cdn") || strings.Contains(l, "unpkg.com") || strings.Contains(l, "jsdelivr.net/")) &&
						!strings.Contains(l, "new Error(") && !strings.HasPrefix(strings.TrimSpace(l), "*") && !strings.HasPrefix(strings.TrimSpace(l), "//") {
						t.Errorf("%s names a CDN: %.200s", p, strings.TrimSpace(l))
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The files are served from the binary, not copied to the heap: what
// the asset set keeps is a small part of the files' size.
func TestAssetsAreNotCopied(t *testing.T) {
	var size int64
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		size += info.Size()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	set, err := readAssets()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(set)
	if kept := int64(after.HeapAlloc) - int64(before.HeapAlloc); kept > size/20 {
		t.Errorf("the asset set keeps %d bytes of heap; the files are %d bytes: want at most a twentieth", kept, size)
	}
}

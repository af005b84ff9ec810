package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"customergraph/internal/graphiql"
)

// The browser tests drive a headless Chromium through GraphiQL against a
// real facade, simulator and Redis. Without a Chromium they skip, or fail
// when CUSTOMERGRAPH_REQUIRE_BROWSER=1 (CI sets it).
const envRequireBrowser = "CUSTOMERGRAPH_REQUIRE_BROWSER"

var updateScreenshot = flag.Bool("update-screenshot", false,
	"TestGraphiQLInBrowser writes its screenshot of GraphiQL with a result to docs/graphiql.png")

// browserTimeout bounds one browser case, from the browser's start to its
// last check; the machine may be slow and shared.
const browserTimeout = 4 * time.Minute

// waitTimeout bounds each wait for the page to show something.
const waitTimeout = 90 * time.Second

// TestGraphiQLInBrowser loads GraphiQL from the service, replaces the key
// placeholder in the headers editor with the client key, runs a query for
// a real customer with the run button and waits for the customer in the
// result pane, then opens the documentation explorer, which has the schema
// once the key is accepted. Every request the page makes must go to the
// service's own origin, and the page must throw no uncaught exception and
// violate no Content-Security-Policy directive.
func TestGraphiQLInBrowser(t *testing.T) {
	chromium := findChromium(t)
	s := newStack(t, stackOptions{})
	c := s.customers(1)[0]
	b := openBrowser(t, chromium, s.url)

	b.do(chromedp.Navigate(s.url + "/"))
	b.waitVisible("#graphiql .graphiql-container")
	b.waitVisible("#note-key")
	note := b.text("#note-key")
	if !strings.Contains(note, graphiql.KeyPlaceholder) {
		t.Errorf("the key note does not name the placeholder: %q", note)
	}
	if b.present("#note-introspection") {
		t.Error("the page says introspection is off, but it is on")
	}

	// The headers editor is open, with the placeholder where the key goes.
	headers := b.poll(`(() => {
		const cm = document.querySelector(` + jsString(headersEditor) + `);
		return cm && cm.CodeMirror.getValue();
	})()`)
	want := `"Authorization": "Bearer ` + graphiql.KeyPlaceholder + `"`
	if !strings.Contains(headers, want) {
		t.Fatalf("headers editor holds %q, want it to contain %s", headers, want)
	}

	// Select the placeholder, as a person would, and type the key over it.
	b.eval(`(() => {
		const cm = document.querySelector(` + jsString(headersEditor) + `).CodeMirror;
		const text = cm.getValue(), at = text.indexOf(` + jsString(graphiql.KeyPlaceholder) + `);
		cm.focus();
		cm.setSelection(cm.posFromIndex(at), cm.posFromIndex(at + ` + fmt.Sprint(len(graphiql.KeyPlaceholder)) + `));
		return true;
	})()`)
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: testKey})
		return err
	}))
	typed := b.eval(`document.querySelector(` + jsString(headersEditor) + `).CodeMirror.getValue()`)
	var sent map[string]string
	if err := json.Unmarshal([]byte(typed), &sent); err != nil || sent["Authorization"] != "Bearer "+testKey {
		t.Fatalf("after typing the key, the headers editor holds %q (%v)", strings.ReplaceAll(typed, testKey, "<the key>"), err)
	}

	query := fmt.Sprintf("query OneCustomer {\n  customer(id: %q) {\n    id\n    customerNumber\n    displayName\n    email\n    status\n  }\n}\n", c.ID)
	b.eval(`(() => {
		document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(` + jsString(query) + `);
		return true;
	})()`)
	// GraphiQL picks up an edit after a moment; a person is never quick
	// enough to click before, and the test waits for it too.
	b.poll(`(() => {
		const tabs = JSON.parse(localStorage.getItem('graphiql:tabState') || '{}').tabs || [];
		return tabs.some(t => t.operationName === 'OneCustomer');
	})()`)
	b.do(chromedp.Click(chromedp.CSS("button.graphiql-execute-button")))
	result := b.poll(`(() => {
		const cm = document.querySelector('.result-window .CodeMirror');
		const v = cm && cm.CodeMirror.getValue();
		return v && v.includes(` + jsString(*c.Email) + `) ? v : false;
	})()`)
	var got struct {
		Data struct {
			Customer struct{ ID, CustomerNumber, Email string }
		}
		Errors []gqlError
	}
	if err := json.Unmarshal([]byte(result), &got); err != nil {
		t.Fatalf("the result pane holds no JSON: %v\n%s", err, result)
	}
	if len(got.Errors) > 0 || got.Data.Customer.ID != c.ID || got.Data.Customer.CustomerNumber != c.CustomerNumber || got.Data.Customer.Email != *c.Email {
		t.Fatalf("the result pane shows %s, want customer %s (%s, %s)", result, c.ID, c.CustomerNumber, *c.Email)
	}

	// The documentation explorer has the schema: GraphiQL asked for it
	// again with the key.
	b.do(chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)))
	b.poll(`(() => {
		for (const a of document.querySelectorAll('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name')) {
			if (a.textContent === 'Query') { a.click(); return true; }
		}
		return false;
	})()`)
	b.poll(`(() => {
		const d = document.querySelector('.graphiql-doc-explorer');
		return !!d && d.innerText.includes('customerByIdentifier');
	})()`)

	// GraphiQL's dialogs work under the page's Content-Security-Policy.
	for _, dialog := range []string{"Open settings dialog", "Open short keys dialog"} {
		b.do(chromedp.Click(chromedp.CSS(`button[aria-label="` + dialog + `"]`)))
		b.waitVisible("button.graphiql-dialog-close")
		b.do(chromedp.Click(chromedp.CSS("button.graphiql-dialog-close")))
		b.poll(`document.querySelector('button.graphiql-dialog-close') === null`)
	}

	// GraphiQL asked for nothing with the placeholder, which the service
	// would refuse: every request to the API carried the key.
	auths := b.apiRequests()
	if len(auths) < 2 {
		t.Errorf("the page sent %d requests to /graphql, want the schema's and the query's", len(auths))
	}
	for i, a := range auths {
		if a != "Bearer "+testKey {
			t.Errorf("request %d to /graphql had Authorization %q, want the key", i+1, strings.ReplaceAll(a, testKey, "<the key>"))
		}
	}

	b.check()

	// The screenshot, once every check passed.
	if *updateScreenshot {
		// The picture shows the key masked, as a password field would.
		b.eval(`(() => {
			const cm = document.querySelector(` + jsString(headersEditor) + `).CodeMirror;
			const text = cm.getValue(), at = text.indexOf(` + jsString(testKey) + `);
			const mask = document.createElement('span');
			mask.textContent = '••••••••••••';
			cm.markText(cm.posFromIndex(at), cm.posFromIndex(at + ` + fmt.Sprint(len(testKey)) + `), {replacedWith: mask});
			cm.getInputField().blur();
			return true;
		})()`)
		if !t.Failed() {
			b.writeScreenshot(filepath.Join("docs", "graphiql.png"))
		}
	}
}

// TestGraphiQLInBrowserIntrospectionOff checks that with INTROSPECTION=false
// the page says, visibly, why the documentation is empty, that GraphiQL
// does not ask for the schema, and that queries still run.
func TestGraphiQLInBrowserIntrospectionOff(t *testing.T) {
	chromium := findChromium(t)
	s := newStack(t, stackOptions{env: map[string]string{"INTROSPECTION": "false"}})
	b := openBrowser(t, chromium, s.url)

	b.do(chromedp.Navigate(s.url + "/"))
	b.waitVisible("#graphiql .graphiql-container")
	b.waitVisible("#note-introspection")
	if note := b.text("#note-introspection"); !strings.Contains(note, "Introspection is turned off") ||
		!strings.Contains(note, "documentation explorer and autocompletion") {
		t.Errorf("introspection note reads %q", note)
	}
	b.do(chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)))
	b.poll(`(() => {
		const d = document.querySelector('.graphiql-doc-explorer');
		return !!d && d.innerText.includes('No GraphQL schema available');
	})()`)
	if n := len(b.apiRequests()); n != 0 {
		t.Errorf("the page sent %d requests to /graphql before a query was run; introspection is off, want none", n)
	}

	b.eval(`(() => {
		const cm = document.querySelector(` + jsString(headersEditor) + `).CodeMirror;
		cm.setValue(` + jsString(`{"Authorization": "Bearer `+testKey+`"}`) + `);
		return true;
	})()`)
	b.do(chromedp.Click(chromedp.CSS("button.graphiql-execute-button")))
	result := b.poll(`(() => {
		const cm = document.querySelector('.result-window .CodeMirror');
		const v = cm && cm.CodeMirror.getValue();
		return v && v.includes('"pageInfo"') ? v : false;
	})()`)
	var got struct {
		Data struct {
			Customers struct{ Nodes []struct{ ID string } }
		}
		Errors []gqlError
	}
	if err := json.Unmarshal([]byte(result), &got); err != nil || len(got.Errors) > 0 || len(got.Data.Customers.Nodes) == 0 {
		t.Fatalf("the default query's result: %s (%v)", result, err)
	}
	if n := len(b.apiRequests()); n != 1 {
		t.Errorf("the page sent %d requests to /graphql, want the query alone", n)
	}
	b.check()
}

// headersEditor selects the CodeMirror of the headers editor.
const headersEditor = `section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror`

// findChromium returns the path of a Chromium or Chrome, or skips t (fails
// it when a browser is required).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(envRequireBrowser) == "1" {
		t.Fatalf("no Chromium on PATH, and %s=1: install one (apt-get install chromium)", envRequireBrowser)
	}
	t.Skipf("no Chromium on PATH (apt-get install chromium; %s=1 makes this a failure)", envRequireBrowser)
	return ""
}

// browser is one headless Chromium with one tab, and what its page did.
type browser struct {
	t      *testing.T
	ctx    context.Context
	origin string // the service's

	mu         sync.Mutex
	requests   []string // every URL the page requested
	apiAuth    []string // the Authorization header of each request to /graphql
	foreign    []string // those not of the service's origin
	exceptions []string
	security   []string // the browser's security log: CSP violations, mixed content
}

func openBrowser(t *testing.T, chromium, serviceURL string) *browser {
	t.Helper()
	u, err := url.Parse(serviceURL)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{t: t, origin: u.Scheme + "://" + u.Host}
	// Registered after t.TempDir, so the browser has stopped before its
	// profile directory is removed.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser with no deadline: a deadline on the first run
	// would bind the browser's life to it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	tctx, cancel := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(cancel)
	b.ctx = tctx
	err = chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
			if u, err := url.Parse(ev.Request.URL); err == nil && b.sameOrigin(ev.Request.URL) && u.Path == "/graphql" {
				auth := ""
				for k, v := range ev.Request.Headers {
					if strings.EqualFold(k, "Authorization") {
						auth = fmt.Sprint(v)
					}
				}
				b.apiAuth = append(b.apiAuth, auth)
			}
			if !b.sameOrigin(ev.Request.URL) {
				b.foreign = append(b.foreign, ev.Request.URL)
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			b.exceptions = append(b.exceptions, fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1))
		case *cdplog.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Source == cdplog.EntrySourceSecurity {
				b.security = append(b.security, ev.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The page as on a laptop's screen, whatever the window's frame takes.
	b.do(chromedp.EmulateViewport(1440, 900))
	// Count every Content-Security-Policy violation, whether or not the
	// browser logs it.
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
	window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));`,
		})
		return err
	}))
	return b
}

// sameOrigin reports whether the page may request raw: the service's
// origin, or a data: or blob: URL, which fetch nothing from anywhere.
func (b *browser) sameOrigin(raw string) bool {
	if strings.HasPrefix(raw, "data:") || strings.HasPrefix(raw, "blob:") {
		return true
	}
	u, err := url.Parse(raw)
	return err == nil && u.Scheme+"://"+u.Host == b.origin
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v%s", err, b.report())
	}
}

func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("waiting for %s to show: %v%s", sel, err, b.report())
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) present(sel string) bool {
	b.t.Helper()
	return b.eval(`document.querySelector(`+jsString(sel)+`) !== null`) == "true"
}

// eval evaluates expression and returns its value: a string as it is,
// anything else as JSON.
func (b *browser) eval(expression string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](expression))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v%s", expression, err, b.report())
	}
	return asText(v)
}

// poll waits until expression is truthy and returns its value as eval does.
func (b *browser) poll(expression string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[any](expression, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v%s", expression, err, b.report())
	}
	return asText(v)
}

func asText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	j, _ := json.Marshal(v)
	return string(j)
}

// apiRequests returns the Authorization header of each request the page
// sent to /graphql so far.
func (b *browser) apiRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.apiAuth...)
}

func (b *browser) writeScreenshot(path string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s (%d bytes)", path, len(png))
}

// check fails the test for every request to another origin, uncaught
// exception and Content-Security-Policy violation so far.
func (b *browser) check() {
	b.t.Helper()
	csp := b.eval(`JSON.stringify(window.__cspViolations || [])`)
	var violations []string
	if err := json.Unmarshal([]byte(csp), &violations); err != nil {
		b.t.Fatalf("read the CSP violations: %v (%s)", err, csp)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		b.t.Error("the browser reported no request of the page: the network listener saw nothing")
	}
	for _, r := range b.foreign {
		b.t.Errorf("the page requested another origin than the service's: %s", r)
	}
	for _, e := range b.exceptions {
		b.t.Errorf("uncaught exception in the page: %s", e)
	}
	for _, v := range violations {
		b.t.Errorf("Content-Security-Policy violation: %s", v)
	}
	for _, s := range b.security {
		b.t.Errorf("browser security message: %s", s)
	}
}

// report describes what the page did, for a failure's message.
func (b *browser) report() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return fmt.Sprintf("\nrequests: %d (other origins: %q)\nexceptions: %q\nsecurity: %q", len(b.requests), b.foreign, b.exceptions, b.security)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

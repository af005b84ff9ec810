package persisted

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// ManifestFormat and ManifestVersion are what a manifest's format and
// version must say: Apollo's persisted query manifest, version 1.
const (
	ManifestFormat  = "apollo-persisted-query-manifest"
	ManifestVersion = 1
)

// maxManifestBytes bounds the file LoadManifest reads.
const maxManifestBytes = 64 << 20

// Operation is one trusted operation of a manifest.
type Operation struct {
	ID   string // what clients send to name it
	Name string // the operation's name in Body
	Type string // query, mutation or subscription
	Body string // the document, exactly as clients may send it
	Hash string // the SHA-256 of Body, hex
}

// Manifest is a validated list of trusted operations, read from Apollo's
// persisted query manifest format:
//
//	{
//	  "format": "apollo-persisted-query-manifest",
//	  "version": 1,
//	  "operations": [
//	    {"id": "...", "name": "Customer", "type": "query", "body": "query Customer { ... }"}
//	  ]
//	}
type Manifest struct {
	ops    []*Operation
	byID   map[string]*Operation
	byHash map[string]*Operation
}

// LoadManifest reads and validates the manifest at path; see ParseManifest.
func LoadManifest(path string, schema *ast.Schema) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, fmt.Errorf("%s: cannot be read: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot be read: %w", path, errors.Unwrap(err))
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxManifestBytes>>20)
	}
	m, err := ParseManifest(data, schema)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ParseManifest decodes and validates a manifest: its format and version,
// and each operation's fields; ids must be unique; each body must parse,
// hold exactly one operation, of the type and name given, and validate
// against schema. Errors name the operation at fault. Fields the format may
// add later are ignored.
func ParseManifest(data []byte, schema *ast.Schema) (*Manifest, error) {
	var raw struct {
		Format     *string      `json:"format"`
		Version    *json.Number `json:"version"`
		Operations []struct {
			ID   *string `json:"id"`
			Name *string `json:"name"`
			Type *string `json:"type"`
			Body *string `json:"body"`
		} `json:"operations"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a persisted query manifest: %v", err)
	}
	if dec.More() {
		return nil, errors.New("not a persisted query manifest: more than one JSON value")
	}
	switch {
	case raw.Format == nil:
		return nil, fmt.Errorf("format is missing; want %q", ManifestFormat)
	case *raw.Format != ManifestFormat:
		return nil, fmt.Errorf("format is %q; want %q", *raw.Format, ManifestFormat)
	case raw.Version == nil:
		return nil, fmt.Errorf("version is missing; want %d", ManifestVersion)
	case raw.Version.String() != "1":
		return nil, fmt.Errorf("version is %s; want %d", raw.Version.String(), ManifestVersion)
	case len(raw.Operations) == 0:
		return nil, errors.New("lists no operations")
	}
	m := &Manifest{byID: map[string]*Operation{}, byHash: map[string]*Operation{}}
	for i, r := range raw.Operations {
		op := &Operation{}
		for _, f := range []struct {
			name string
			src  *string
			dst  *string
		}{{"id", r.ID, &op.ID}, {"name", r.Name, &op.Name}, {"type", r.Type, &op.Type}, {"body", r.Body, &op.Body}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		what := describe(i, op)
		switch {
		case r.ID == nil || op.ID == "":
			return nil, fmt.Errorf("%s: id is missing", what)
		case r.Name == nil:
			return nil, fmt.Errorf("%s: name is missing", what)
		case r.Body == nil || strings.TrimSpace(op.Body) == "":
			return nil, fmt.Errorf("%s: body is missing", what)
		case op.Type != "query" && op.Type != "mutation" && op.Type != "subscription":
			return nil, fmt.Errorf("%s: type is %q; want query, mutation or subscription", what, op.Type)
		}
		if other, dup := m.byID[op.ID]; dup {
			return nil, fmt.Errorf("%s: id is also the id of %s", what, describe(indexOf(m.ops, other), other))
		}
		if err := checkBody(op, schema); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		op.Hash = Hash(op.Body)
		m.ops = append(m.ops, op)
		m.byID[op.ID] = op
		if _, ok := m.byHash[op.Hash]; !ok {
			m.byHash[op.Hash] = op
		}
	}
	return m, nil
}

// describe names the i-th operation of a manifest in an error.
func describe(i int, op *Operation) string {
	s := fmt.Sprintf("operation %d", i+1)
	if op.Name != "" {
		s += fmt.Sprintf(" %q", op.Name)
	}
	if op.ID != "" {
		s += fmt.Sprintf(" (id %q)", op.ID)
	}
	return s
}

func indexOf(ops []*Operation, op *Operation) int {
	for i, o := range ops {
		if o == op {
			return i
		}
	}
	return -1
}

// checkBody parses and validates op's body against schema.
func checkBody(op *Operation, schema *ast.Schema) error {
	doc, err := parser.ParseQuery(&ast.Source{Name: "body", Input: op.Body})
	if err != nil {
		return fmt.Errorf("body does not parse: %s", gqlMessage(err))
	}
	if len(doc.Operations) != 1 {
		return fmt.Errorf("body defines %d operations; want exactly one", len(doc.Operations))
	}
	def := doc.Operations[0]
	if string(def.Operation) != op.Type {
		return fmt.Errorf("body is a %s; type says %s", def.Operation, op.Type)
	}
	if def.Name != op.Name {
		return fmt.Errorf("body's operation is named %q; name says %q", def.Name, op.Name)
	}
	if schema != nil {
		if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = gqlMessage(e)
			}
			return fmt.Errorf("body does not validate against the schema: %s", strings.Join(msgs, "; "))
		}
	}
	return nil
}

// gqlMessage is a parse or validation error's message with its position.
func gqlMessage(err error) string {
	ge, ok := errors.AsType[*gqlerror.Error](err)
	if !ok {
		return err.Error()
	}
	if len(ge.Locations) > 0 {
		return fmt.Sprintf("%s (line %d, column %d)", ge.Message, ge.Locations[0].Line, ge.Locations[0].Column)
	}
	return ge.Message
}

// Len returns the number of operations.
func (m *Manifest) Len() int { return len(m.ops) }

// Operations returns the operations, in the manifest's order.
func (m *Manifest) Operations() []Operation {
	out := make([]Operation, len(m.ops))
	for i, op := range m.ops {
		out[i] = *op
	}
	return out
}

// byKey returns the operation a client names by key: an id of the
// manifest, or the SHA-256 of a listed body (in hex, optionally prefixed
// "sha256:", as GraphQL over HTTP's documentId has it).
func (m *Manifest) byKey(key string) *Operation {
	if op := m.byID[key]; op != nil {
		return op
	}
	h, _ := strings.CutPrefix(key, "sha256:")
	if isHash(strings.ToLower(h)) {
		return m.byHash[strings.ToLower(h)]
	}
	return nil
}

package loaders

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsNoVendor checks that the loaders, and everything they import
// from this module, know no vendor: the port is all they see of one.
func TestImportsNoVendor(t *testing.T) {
	vendors := []string{"customergraph/internal/tiquo", "customergraph/internal/komerza", "customergraph/internal/xtrakit", "customergraph/internal/sim"}
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] || !strings.HasPrefix(path, "customergraph/") {
			return
		}
		seen[path] = true
		for _, v := range vendors {
			if path == v || strings.HasPrefix(path, v+"/") {
				t.Errorf("loaders imports %s (through %s); want no vendor package", path, from)
			}
		}
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports { // not the tests' imports
			walk(imp, path)
		}
	}
	walk("customergraph/loaders", "")
	if len(seen) < 4 {
		t.Fatalf("walked %d packages of this module; the walk did not find the loaders' imports", len(seen))
	}
}

// Package tierbase holds no code: this test keeps the layers of the tree pointing down.
package tierbase

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers lists the top-level folders from the bottom up; a package may import its own layer
// and the layers below it, never one above. Tests may import anything.
var layers = [][]string{
	{"platform"},         // storage, jobs, errors, spreadsheets: know nothing of customers
	{"core"},             // schema, conditions, formulas, records, access, users
	{"engines"},          // grading, rules, reports, inbox, import and export
	{"templates", "app"}, // the 客户管理 template; the engines assembled over one database
	{"api", "ui"},        // HTTP and the web UI it serves
	{"cmd", "bench"},     // the binary and the benchmark command
}

func layerOf(dir string) int {
	top, _, _ := strings.Cut(filepath.ToSlash(dir), "/")
	for i, names := range layers {
		for _, n := range names {
			if n == top {
				return i
			}
		}
	}
	return -1
}

func TestImportsPointDown(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		from := layerOf(filepath.Dir(path))
		if from < 0 {
			t.Errorf("%s: folder %s is in no layer; add it to layers in layers_test.go", path, filepath.Dir(path))
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rest, ok := strings.CutPrefix(p, "tierbase/")
			if !ok {
				continue
			}
			checked++
			if to := layerOf(rest); to > from {
				t.Errorf("%s imports %s: %s is in a layer above %s", path, p, layers[to][0], layers[from][0])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d imports of tierbase packages found: is the walk looking at the tree?", checked)
	}
}

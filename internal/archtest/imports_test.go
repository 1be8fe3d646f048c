package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kizukai/kizukai/"

// edge packages may import anything; everything else is domain or
// infrastructure and must not reach the HTTP edge.
var edge = map[string]bool{
	"internal/api": true, "internal/admin": true, "internal/httpx": true, "internal/app": true,
	"internal/app/apptest": true, "internal/pages": true, "internal/hooks": true, "internal/archtest": true,
}

// forbidden for non-edge packages (tests included: a domain test that needs
// HTTP belongs in the edge package's tests): the HTTP libraries and every
// edge package. Sub-packages of an edge package that are not edge
// themselves (admin/auth, pages/engagement) are domain code.
var forbidden = []string{"net/http", "html/template"}

func isForbidden(p string) bool {
	for _, bad := range forbidden {
		if p == bad || strings.HasPrefix(p, bad+"/") {
			return true
		}
	}
	rel, ok := strings.CutPrefix(p, module)
	return ok && edge[rel]
}

func TestDomainDoesNotImportTheEdge(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if edge[rel] {
			return nil
		}
		// Provider packages talk HTTP by nature; they are leaves of the domain.
		if isProvider(rel) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if isForbidden(p) {
				t.Errorf("%s imports %s: domain packages must not import the HTTP edge", strings.TrimPrefix(path, root+string(os.PathSeparator)), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("only %d files checked: is the walk broken?", checked)
	}
}

// isProvider reports whether rel is a channel provider or a webhook-facing
// package, which speak HTTP to the outside world on purpose.
func isProvider(rel string) bool {
	return strings.HasPrefix(rel, "internal/channel/")
}

package frontend

import (
	"bytes"
	"io/fs"
	"testing"
)

func TestFSIsTheDistFolder(t *testing.T) {
	// dist/.keep is committed, so the embedded tree always has it at its root.
	if _, err := fs.Stat(FS(), ".keep"); err != nil {
		t.Fatalf("FS() should be rooted at dist/: %v", err)
	}
	if Built() {
		for _, page := range []string{"index.html", "host.html", "present.html"} {
			b, err := fs.ReadFile(FS(), page)
			if err != nil {
				t.Fatalf("built interface lacks %s: %v", page, err)
			}
			if !bytes.Contains(b, []byte(`src="/assets/`)) {
				t.Errorf("%s should load its script from /assets/", page)
			}
			if bytes.Contains(b, []byte("<script>")) {
				t.Errorf("%s has an inline script, which the CSP forbids", page)
			}
		}
	}
}

func TestPlaceholderIsDanishAndSaysHowToBuild(t *testing.T) {
	p := Placeholder()
	for _, want := range []string{`<html lang="da">`, "make run", "ikke bygget"} {
		if !bytes.Contains(p, []byte(want)) {
			t.Errorf("placeholder lacks %q", want)
		}
	}
	p[0] = 'X' // callers get a copy
	if Placeholder()[0] == 'X' {
		t.Error("Placeholder must return a copy")
	}
}

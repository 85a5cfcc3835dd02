package httpapi

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestLegalPages reads /tilgaengelighed and /privatliv as a visitor gets them, and checks
// that they say what the product does: both languages, the retention the server runs with,
// the threshold, WCAG 2.1 AA with the axe runs that back it, a contact and a date, nothing
// loaded from elsewhere; and that the axe runs the statement describes exist.
func TestLegalPages(t *testing.T) {
	e := newEnv(t, nil)
	pages := map[string][]string{
		"/tilgaengelighed": {"Tilgængelighedserklæring", "Accessibility statement", "WCAG 2.1 niveau AA", "WCAG 2.1 level AA",
			"Kendte begrænsninger", "Known limitations", "axe-core", "Kontakt", "Contact", "udarbejdet 4. december 2026", "pejl.test"},
		"/privatliv": {"Privatliv og data", "Privacy and data", "slettes automatisk 180 dage", "deleted automatically 180 days",
			"mindst 5 svar", "at least 5 answers", "gemmer det ikke", "does not store it", "Ingen tredjeparter", "No third parties",
			"kolonnen med deltager er tom", "participant column is empty", "Sikkerhedskopier", "Backups"},
	}
	for path, want := range pages {
		w := e.do(http.MethodGet, path, nil)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Header().Get("Content-Type"))
		}
		body := w.Body.String()
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
		if !strings.Contains(body, `<html lang="da">`) || !strings.Contains(body, `lang="en"`) {
			t.Errorf("%s is not marked Danish with an English part", path)
		}
		if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(body); m != "" {
			t.Errorf("%s loads or links elsewhere: %s", path, m)
		}
	}
	if w := e.do(http.MethodGet, "/legal.css", nil); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("GET /legal.css: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	// The statement says axe-core runs in Chromium in both languages at 320 and 1280 px.
	lib, err := os.ReadFile("../../frontend/e2e/lib.mjs")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"window.axe.run", "320", "1280"} {
		if !strings.Contains(string(lib), s) {
			t.Errorf("the e2e helpers lack %q, which the accessibility statement describes", s)
		}
	}
}

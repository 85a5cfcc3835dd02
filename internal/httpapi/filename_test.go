package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFileName(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	late := time.Date(2026, 12, 4, 23, 30, 0, 0, time.UTC) // already the 5th in Copenhagen
	for _, tc := range []struct{ lang, kind, title, ext, want string }{
		{"da", "report", "Temadag om ledelsesgrundlaget", "pdf", "Rapport – Temadag om ledelsesgrundlaget – 2026-12-05.pdf"},
		{"en", "votes", "Leaders' day", "csv", "Votes – Leaders' day – 2026-12-05.csv"},
		{"da", "results", `a/b\c: "x"?  `, "xlsx", "Resultater – a b c x – 2026-12-05.xlsx"},
		{"da", "comments", "", "csv", "Kommentarer – 2026-12-05.csv"},
	} {
		if got := fileName(tc.lang, tc.kind, tc.title, late, cph, tc.ext); got != tc.want {
			t.Errorf("fileName(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
	got := contentDisposition("Rapport – Æblegrød på Ø – 2026-12-04.pdf")
	want := `attachment; filename="Rapport - Aeblegroed paa Oe - 2026-12-04.pdf"; filename*=UTF-8''Rapport%20%E2%80%93%20%C3%86blegr%C3%B8d%20p%C3%A5%20%C3%98%20%E2%80%93%202026-12-04.pdf`
	if got != want {
		t.Errorf("contentDisposition =\n%s\nwant\n%s", got, want)
	}
}

// TestExportQuery: the export options are checked before anything is written.
func TestExportQuery(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.admin()
	s := e.createSession(admin, "Temadag")
	base := "/api/v1/sessions/" + s.ID + "/export/"
	wantError(t, e.do("GET", base+"votes.csv?columns=names", nil, as(admin)), http.StatusBadRequest, "bad_request")
	wantError(t, e.do("GET", base+"report.pdf?unused=maybe", nil, as(admin)), http.StatusBadRequest, "bad_request")
	if !strings.Contains(fileName("da", "report", "x", time.Now(), nil, "pdf"), "Rapport") {
		t.Error("no default zone")
	}
}

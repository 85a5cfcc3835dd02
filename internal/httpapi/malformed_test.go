package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// TestMalformedInputEverywhere sends malformed JSON, wrong types, huge bodies and unknown
// ids to every API route, authenticated in each way and not at all, and checks that the
// answer is never a 5xx (but for the export stubs' 501) and every error is the JSON shape.
func TestMalformedInputEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Live = &fakeLive{} })
	admin := e.admin()
	keep := e.createSession(admin, "Keep")
	w := e.do("POST", "/api/v1/tokens", map[string]string{"name": "fuzz"}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var tok struct{ Token string }
	mustJSON(t, w, &tok)

	bodies := map[string]string{
		"none":        "",
		"broken":      `{"title": "x", `,
		"not json":    `<html>hi</html>`,
		"array":       `[1,2,3]`,
		"string":      `"hello"`,
		"null":        `null`,
		"number":      `1e999`,
		"two objects": `{} {}`,
		"wrong types": `{"title":5,"charter_id":[],"language":{},"groups":"x","anonymity_threshold":"many","kind":1,` +
			`"section":true,"prompt":[],"options":"x","max_choices":"1","k":-1.5,"statements":{},"scope":9,` +
			`"email":2,"password":false,"name":{},"role":[],"min":"0","max":null,"labels":"a"}`,
		"nested wrong": `{"groups":[{"id":1,"label":2}],"options":[{"id":[],"label":{}}]}`,
		"deep":         strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		"huge":         `{"title":"` + strings.Repeat("a", 100<<10) + `"}`,
		"huge ws":      `{"title":"x"` + strings.Repeat(" ", 70<<10) + `}`,
		"invalid utf8": "{\"title\":\"\xff\xfe\"}",
		"huge groups":  `{"title":"x","charter_id":"allerod-ledelsesgrundlag","groups":[` + strings.Repeat(`{"label":"g"},`, 3000) + `{"label":"g"}]}`,
	}
	ids := []string{"nope", "..", "%2e%2e%2f", strings.Repeat("x", 5000), "%00", "1%27%20OR%201=1", "%F0%9F%98%80"}
	auths := map[string][]opt{
		"anonymous": nil,
		"cookie":    {as(admin)},
		"bearer":    {bearer(tok.Token)},
		"foreign":   {cookieOnly(admin), origin("https://evil.example")},
	}

	// Logout ends the admin's login: send it last.
	routes := e.api.engine.Routes()
	sort.SliceStable(routes, func(i, j int) bool {
		return routes[j].Path == "/api/v1/auth/logout" && routes[i].Path != routes[j].Path
	})
	checked := 0
	for _, rt := range routes {
		if !isAPI(rt.Path) {
			continue
		}
		var paths []string
		for _, id := range ids {
			p := strings.ReplaceAll(rt.Path, ":id", id)
			p = strings.ReplaceAll(p, ":code", id)
			paths = append(paths, p)
		}
		if strings.Contains(rt.Path, ":id") && rt.Method != "DELETE" {
			paths = append(paths, strings.ReplaceAll(rt.Path, ":id", keep.ID))
		}
		if strings.Contains(rt.Path, ":code") {
			paths = append(paths, strings.ReplaceAll(rt.Path, ":code", keep.Code))
		}
		if !strings.Contains(rt.Path, ":") {
			paths = append(paths, rt.Path)
		}
		for _, p := range paths {
			for an, auth := range auths {
				for bn, body := range bodies {
					if p == loginPath && json.Unmarshal([]byte(body), &struct{ Email, Password string }{}) == nil {
						// A well-formed login is a real attempt that costs a bcrypt comparison
						// (seconds under -race); the login tests cover those.
						continue
					}
					var b any
					if body != "" {
						b = body
					}
					w := e.do(rt.Method, p, b, auth...)
					checked++
					check(t, rt.Method+" "+p+" ["+an+", "+bn+"]", w)
				}
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d requests checked", checked)
	}
	// The session survived everything (the DELETE route got unknown ids only).
	wantStatus(t, e.do("GET", "/api/v1/sessions/"+keep.ID, nil, bearer(tok.Token)), http.StatusOK)
	if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("malformed input logged errors:\n%.2000s", logs)
	}
}

func check(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if len(what) > 200 {
		what = what[:200] + "…"
	}
	ct := w.Header().Get("Content-Type")
	if strings.Contains(ct, "html") {
		t.Errorf("%s: HTML answer (%d)", what, w.Code)
		return
	}
	switch {
	case w.Code == http.StatusNotImplemented && strings.Contains(what, "/export/"), w.Code == http.StatusNotImplemented && strings.Contains(what, "/results"):
	case w.Code >= 500:
		t.Errorf("%s: %d %.300s", what, w.Code, w.Body)
		return
	}
	if w.Code >= 400 {
		e := errorShape(t, w)
		if e.Code == "internal" {
			t.Errorf("%s: internal error", what)
		}
	}
}

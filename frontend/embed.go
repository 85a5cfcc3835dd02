// Package frontend holds Pejl's web interface, built by Vite into dist/, and
// exposes it to the server as a file system. A fresh clone has only
// dist/.keep, so `go build ./...` works before any npm step; the server then
// serves Placeholder() instead of the pages.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed placeholder.html
var placeholder []byte

// FS returns the built interface: index.html, host.html, present.html and
// assets/ at its root. Use Built to tell whether the build has run.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// Cannot happen: "dist" is a valid path embedded above.
		panic(err)
	}
	return sub
}

// Built reports whether dist/ holds a built interface (index.html exists).
func Built() bool {
	_, err := fs.Stat(FS(), "index.html")
	return err == nil
}

// Placeholder is a small Danish page that explains the interface has not been
// built and how to build it. Serve it (with status 200 or 503) for the page
// routes when Built() is false.
func Placeholder() []byte {
	out := make([]byte, len(placeholder))
	copy(out, placeholder)
	return out
}

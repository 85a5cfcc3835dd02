package httpapi

// The export routes: each checks access, then streams one of package export's formats to
// the response. Headers go out with the first byte, so an error before it (the engine is
// down, say) still gets the spec's JSON error; an error after it cuts the connection, so
// that a half-written file is never mistaken for a whole one.

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// Content types of the downloads.
const (
	ctCSV  = "text/csv; charset=utf-8"
	ctXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ctPDF  = "application/pdf"
	ctJSON = "application/json; charset=utf-8"
)

// download writes the response headers on the first write.
type download struct {
	c           *gin.Context
	contentType string
	filename    string
	started     bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.c.Writer.Header()
		h.Set("Content-Type", d.contentType)
		h.Set("Content-Disposition", `attachment; filename="`+d.filename+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		d.c.Status(http.StatusOK)
		d.c.Writer.WriteHeaderNow()
	}
	return d.c.Writer.Write(p)
}

// stream runs one export into the response.
func (a *api) stream(c *gin.Context, contentType, filename string, write func(ctx context.Context, w io.Writer) error) {
	d := &download{c: c, contentType: contentType, filename: filename}
	err := write(c.Request.Context(), d)
	if err == nil {
		if !d.started { // an empty body still gets its headers
			_, _ = d.Write(nil)
		}
		return
	}
	if !d.started {
		a.fail(c, err)
		return
	}
	if c.Request.Context().Err() == nil {
		a.log.Error("export failed midway", "route", routeOf(c), "file", filename, "err", err)
	}
	// Abort the connection: the client sees a failed download, not a short file.
	panic(http.ErrAbortHandler)
}

// sessionFile names a session's download: pejl-<code>-<name>.
func sessionFile(sess *forum.Session, name string) string {
	return "pejl-" + safeName(sess.Code) + "-" + name
}

// safeName keeps a name to letters, digits, '.', '-' and '_' for a filename header.
func safeName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '-' || ch == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "session"
	}
	return string(b)
}

// Exports are the export formats, injected by the server (package export) so that this
// package knows only their shape. A nil function answers 501 not_implemented.
type Exports struct {
	VotesCSV       func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, semicolon bool) error
	CommentsCSV    func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, semicolon bool) error
	XLSX           func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session) error
	PDF            func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session) error
	JSON           func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session) error
	ComparisonXLSX func(ctx context.Context, w io.Writer, cmp *forum.Comparison) error
}

// notImplemented answers for an export the server was built without.
func notImplemented(c *gin.Context) {
	writeError(c, http.StatusNotImplemented, "not_implemented", "This export is not available on this server.", nil)
}

// csvOptions reads ?delimiter=semicolon (or comma, the default).
func csvOptions(c *gin.Context) (semicolon bool, ok bool) {
	switch c.Query("delimiter") {
	case "", "comma":
		return false, true
	case "semicolon":
		return true, true
	}
	writeError(c, http.StatusBadRequest, forum.EBadRequest, `The delimiter must be "comma" or "semicolon".`, nil)
	return false, false
}

// GET /api/v1/sessions/{id}/export/votes.csv[?delimiter=semicolon]
func (a *api) handleExportVotesCSV() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		if a.exports.VotesCSV == nil {
			notImplemented(c)
			return
		}
		opt, ok := csvOptions(c)
		if !ok {
			return
		}
		a.stream(c, ctCSV, sessionFile(sess, "votes.csv"), func(ctx context.Context, w io.Writer) error {
			return a.exports.VotesCSV(ctx, w, a.svc, sess, opt)
		})
	}
}

// GET /api/v1/sessions/{id}/export/comments.csv[?delimiter=semicolon]
func (a *api) handleExportCommentsCSV() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		if a.exports.CommentsCSV == nil {
			notImplemented(c)
			return
		}
		opt, ok := csvOptions(c)
		if !ok {
			return
		}
		a.stream(c, ctCSV, sessionFile(sess, "comments.csv"), func(ctx context.Context, w io.Writer) error {
			return a.exports.CommentsCSV(ctx, w, a.svc, sess, opt)
		})
	}
}

// GET /api/v1/sessions/{id}/export/results.xlsx
func (a *api) handleExportXLSX() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		if a.exports.XLSX == nil {
			notImplemented(c)
			return
		}
		a.stream(c, ctXLSX, sessionFile(sess, "results.xlsx"), func(ctx context.Context, w io.Writer) error {
			return a.exports.XLSX(ctx, w, a.svc, sess)
		})
	}
}

// GET /api/v1/sessions/{id}/export/report.pdf
func (a *api) handleExportPDF() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		if a.exports.PDF == nil {
			notImplemented(c)
			return
		}
		a.stream(c, ctPDF, sessionFile(sess, "report.pdf"), func(ctx context.Context, w io.Writer) error {
			return a.exports.PDF(ctx, w, a.svc, sess)
		})
	}
}

// GET /api/v1/sessions/{id}/export/session.json
func (a *api) handleExportJSON() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		if a.exports.JSON == nil {
			notImplemented(c)
			return
		}
		a.stream(c, ctJSON, sessionFile(sess, "session.json"), func(ctx context.Context, w io.Writer) error {
			return a.exports.JSON(ctx, w, a.svc, sess)
		})
	}
}

// compare runs forum.Service.Compare for /charters/{id}/results[.xlsx]?sessions=a,b (the
// caller's sessions on the charter; all of them without sessions).
func (a *api) compare(c *gin.Context) (*forum.Comparison, bool) {
	var ids []string
	for _, v := range c.QueryArray("sessions") {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	cmp, err := a.svc.Compare(c.Request.Context(), actorFrom(c), c.Param("id"), ids)
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return cmp, true
}

// GET /api/v1/charters/{id}/results?sessions=a,b
func (a *api) handleCharterResults() gin.HandlerFunc {
	return func(c *gin.Context) {
		cmp, ok := a.compare(c)
		if !ok {
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, cmp)
	}
}

// GET /api/v1/charters/{id}/results.xlsx?sessions=a,b
func (a *api) handleCharterResultsXLSX() gin.HandlerFunc {
	return func(c *gin.Context) {
		cmp, ok := a.compare(c)
		if !ok {
			return
		}
		if a.exports.ComparisonXLSX == nil {
			notImplemented(c)
			return
		}
		a.stream(c, ctXLSX, "pejl-"+safeName(cmp.Charter.ID)+"-comparison.xlsx", func(ctx context.Context, w io.Writer) error {
			return a.exports.ComparisonXLSX(ctx, w, cmp)
		})
	}
}

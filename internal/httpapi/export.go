package httpapi

// The export routes: each checks access, then streams one of package export's formats to
// the response. Headers go out with the first byte, so an error before it (the engine is
// down, say) still gets the spec's JSON error; an error after it cuts the connection, so
// that a half-written file is never mistaken for a whole one.

import (
	"context"
	"fmt"
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
		h.Set("Content-Disposition", contentDisposition(d.filename))
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

// Exports are the export formats, injected by the server (package export) so that this
// package knows only their shape. A nil function answers 501 not_implemented.
type Exports struct {
	VotesCSV       func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error
	CommentsCSV    func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error
	AgreementsCSV  func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error
	XLSX           func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error
	PDF            func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error
	JSON           func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error
	ComparisonXLSX func(ctx context.Context, w io.Writer, cmp *forum.Comparison) error
}

// notImplemented answers for an export the server was built without.
func notImplemented(c *gin.Context) {
	writeError(c, http.StatusNotImplemented, "not_implemented", "This export is not available on this server.", nil)
}

// ExportOptions are what the query of an export asks for.
type ExportOptions struct {
	// Semicolon: CSV fields separated by ";" (?delimiter=semicolon).
	Semicolon bool
	// IDs: the CSV's machine form, the spec's column names with ids as values
	// (?columns=ids); otherwise labels and headers in the session's language.
	IDs bool
	// OmitUnused: the PDF leaves out activities nobody answered (?unused=omit).
	OmitUnused bool
	// Rows: what the row exports carry beyond the default of no person and no hidden
	// comment: pseudonyms (?raw=pseudonym) and hidden comments (?include=hidden).
	Rows forum.RowOptions
}

// queryChoice reads a query parameter that takes one of two values (the first is the
// default); anything else answers 400 and reports false.
func queryChoice(c *gin.Context, name, what, def, other string) (isOther, ok bool) {
	switch c.Query(name) {
	case "", def:
		return false, true
	case other:
		return true, true
	}
	writeError(c, http.StatusBadRequest, forum.EBadRequest, fmt.Sprintf("The %s must be %q or %q.", what, def, other), nil)
	return false, false
}

// csvOptions reads ?delimiter=comma|semicolon and ?columns=labels|ids, and rowOptions'.
func csvOptions(c *gin.Context) (opt ExportOptions, ok bool) {
	if opt.Semicolon, ok = queryChoice(c, "delimiter", "delimiter", "comma", "semicolon"); !ok {
		return opt, false
	}
	if opt.IDs, ok = queryChoice(c, "columns", "columns", "labels", "ids"); !ok {
		return opt, false
	}
	rows, ok := rowOptions(c)
	opt.Rows = rows.Rows
	return opt, ok
}

// rowOptions reads ?raw=none|pseudonym (each row carries the participant's pseudonym) and
// ?include=none|hidden (hidden comments are included, marked hidden); by default the row
// exports carry no person and no hidden comment.
func rowOptions(c *gin.Context) (opt ExportOptions, ok bool) {
	if opt.Rows.Pseudonyms, ok = queryChoice(c, "raw", "raw", "none", "pseudonym"); !ok {
		return opt, false
	}
	opt.Rows.Hidden, ok = queryChoice(c, "include", "include", "none", "hidden")
	return opt, ok
}

// GET /api/v1/sessions/{id}/export/votes.csv[?delimiter=semicolon][&columns=ids][&raw=pseudonym]
func (a *api) handleExportVotesCSV() gin.HandlerFunc {
	return a.csvExport("votes", func() exportFunc { return a.exports.VotesCSV })
}

// GET /api/v1/sessions/{id}/export/comments.csv[?delimiter=semicolon][&columns=ids][&raw=pseudonym][&include=hidden]
func (a *api) handleExportCommentsCSV() gin.HandlerFunc {
	return a.csvExport("comments", func() exportFunc { return a.exports.CommentsCSV })
}

// GET /api/v1/sessions/{id}/export/agreements.csv[?delimiter=semicolon][&columns=ids]
func (a *api) handleExportAgreementsCSV() gin.HandlerFunc {
	return a.csvExport("agreements", func() exportFunc { return a.exports.AgreementsCSV })
}

// exportFunc writes one export of a session.
type exportFunc = func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt ExportOptions) error

// csvExport serves a CSV export of a session under the file name's kind; pick names the
// writer (nil: not built in).
func (a *api) csvExport(kind string, pick func() exportFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		opt, ok := csvOptions(c)
		if !ok {
			return
		}
		write := pick()
		if write == nil {
			notImplemented(c)
			return
		}
		a.stream(c, ctCSV, a.sessionFileName(sess, kind, "csv"), func(ctx context.Context, w io.Writer) error {
			return write(ctx, w, a.svc, sess, opt)
		})
	}
}

// GET /api/v1/sessions/{id}/export/results.xlsx[?raw=pseudonym][&include=hidden]
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
		opt, ok := rowOptions(c)
		if !ok {
			return
		}
		a.stream(c, ctXLSX, a.sessionFileName(sess, "results", "xlsx"), func(ctx context.Context, w io.Writer) error {
			return a.exports.XLSX(ctx, w, a.svc, sess, opt)
		})
	}
}

// GET /api/v1/sessions/{id}/export/report.pdf[?unused=omit]
func (a *api) handleExportPDF() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		var opt ExportOptions
		if opt.OmitUnused, ok = queryChoice(c, "unused", "unused activities", "show", "omit"); !ok {
			return
		}
		if a.exports.PDF == nil {
			notImplemented(c)
			return
		}
		a.stream(c, ctPDF, a.sessionFileName(sess, "report", "pdf"), func(ctx context.Context, w io.Writer) error {
			return a.exports.PDF(ctx, w, a.svc, sess, opt)
		})
	}
}

// GET /api/v1/sessions/{id}/export/session.json[?raw=pseudonym][&include=hidden]
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
		opt, ok := rowOptions(c)
		if !ok {
			return
		}
		a.stream(c, ctJSON, a.sessionFileName(sess, "session", "json"), func(ctx context.Context, w io.Writer) error {
			return a.exports.JSON(ctx, w, a.svc, sess, opt)
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
		name := fileName(cmp.Charter.Language, "comparison", cmp.Charter.Title, a.svc.Config().Now(), a.svc.Config().Location, "xlsx")
		a.stream(c, ctXLSX, name, func(ctx context.Context, w io.Writer) error {
			return a.exports.ComparisonXLSX(ctx, w, cmp)
		})
	}
}

package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

// charterItem is a charter in the list: counts instead of contents.
type charterItem struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Language   string `json:"language"`
	Sections   int    `json:"sections"`
	Statements int    `json:"statements"`
	Builtin    bool   `json:"builtin"`
	Family     string `json:"family,omitempty"`
	Version    int    `json:"version,omitempty"`
}

// GET /api/v1/charters → {"charters":[{"id","title","language","sections","statements","builtin"}]}.
func (a *api) handleListCharters() gin.HandlerFunc {
	return func(c *gin.Context) {
		cs, err := a.svc.Charters(c.Request.Context())
		if err != nil {
			a.fail(c, err)
			return
		}
		out := make([]charterItem, len(cs))
		for i, ch := range cs {
			out[i] = charterItem{ID: ch.ID, Title: ch.Title, Language: ch.Language,
				Sections: len(ch.Sections), Statements: ch.StatementCount(), Builtin: ch.Builtin, Family: ch.Family, Version: ch.Version}
		}
		c.JSON(http.StatusOK, gin.H{"charters": out})
	}
}

// GET /api/v1/charters/{id} → the charter.
func (a *api) handleGetCharter() gin.HandlerFunc {
	return func(c *gin.Context) {
		ch, err := a.svc.Charter(c.Request.Context(), c.Param("id"))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, ch)
	}
}

// POST /api/v1/charters (Content-Type: text/markdown, ≤ 1 MiB) → 201 with the charter;
// invalid → 422 invalid_charter with a detail per problem line.
func (a *api) handleImportCharter() gin.HandlerFunc {
	return func(c *gin.Context) {
		src, ok := a.readCharter(c)
		if !ok {
			return
		}
		ch, err := a.svc.ImportCharter(c.Request.Context(), actorFrom(c), src)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, ch)
	}
}

// POST /api/v1/charters/{id}/versions (Content-Type: text/markdown) → 201 with the new
// version ({"id":"<first id>-v<n>","family","version",…}); a changed structure or invalid
// Markdown → 422 invalid_charter with a detail per problem line.
func (a *api) handleCharterVersion() gin.HandlerFunc {
	return func(c *gin.Context) {
		src, ok := a.readCharter(c)
		if !ok {
			return
		}
		ch, err := a.svc.NewCharterVersion(c.Request.Context(), actorFrom(c), c.Param("id"), src)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, ch)
	}
}

// GET /api/v1/charters/{id}/source → the charter's Markdown (text/markdown), to correct it.
func (a *api) handleCharterSource() gin.HandlerFunc {
	return func(c *gin.Context) {
		ch, err := a.svc.Charter(c.Request.Context(), c.Param("id"))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "text/markdown; charset=utf-8", []byte(ch.Source))
	}
}

// readCharter reads a Markdown body of at most charter.MaxSize, or answers the request.
func (a *api) readCharter(c *gin.Context) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "text/markdown" && mt != "text/x-markdown") {
		writeError(c, http.StatusUnsupportedMediaType, eUnsupportedMediaType,
			"Send the charter as Markdown with the header \"Content-Type: text/markdown\".", nil)
		return nil, false
	}
	if c.Request.ContentLength > charter.MaxSize {
		a.fail(c, errorf(forum.ETooLarge, "A charter may be at most 1 MiB."))
		return nil, false
	}
	src, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, charter.MaxSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.fail(c, errorf(forum.ETooLarge, "A charter may be at most 1 MiB."))
			return nil, false
		}
		a.fail(c, errorf(forum.EBadRequest, "The body could not be read."))
		return nil, false
	}
	return src, true
}

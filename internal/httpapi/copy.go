package httpapi

import (
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// POST /api/v1/sessions/{id}/copy {"title","rehearsal","template"} → 201 with the new
// session: a copy to run, a rehearsal ("Prøvekørsel") or a template.
func (a *api) handleCopySession() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.CopyRequest
		if c.Request.ContentLength != 0 && !a.bind(c, &req) {
			return
		}
		sess, err := a.svc.CopySession(c.Request.Context(), actorFrom(c), c.Param("id"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, a.svc.Info(sess))
	}
}

// GET /api/v1/templates → {"templates":[…]}: the actor's templates and the organisation's,
// newest first.
func (a *api) handleListTemplates() gin.HandlerFunc {
	return func(c *gin.Context) {
		ss, err := a.svc.Templates(c.Request.Context(), actorFrom(c))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"templates": a.newestFirst(ss)})
	}
}

// newestFirst renders sessions as session objects, newest first.
func (a *api) newestFirst(ss []forum.Session) []forum.SessionInfo {
	out := make([]forum.SessionInfo, len(ss))
	for i := range ss {
		out[i] = a.svc.Info(&ss[i])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out
}

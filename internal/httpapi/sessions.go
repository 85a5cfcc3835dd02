package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// session loads the session named by the route's :id for the authenticated actor. A session
// the actor may not see is 404, as one that does not exist. On failure the response is
// written and ok is false.
func (a *api) session(c *gin.Context) (sess *forum.Session, ok bool) {
	sess, err := a.svc.Session(c.Request.Context(), actorFrom(c), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return sess, true
}

// GET /api/v1/sessions → {"sessions":[…]}, the caller's (all for an admin), newest first.
func (a *api) handleListSessions() gin.HandlerFunc {
	return func(c *gin.Context) {
		ss, err := a.svc.Sessions(c.Request.Context(), actorFrom(c))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"sessions": a.newestFirst(ss)})
	}
}

// POST /api/v1/sessions {"title","charter_id","language","groups","anonymity_threshold"} →
// 201 with the session.
func (a *api) handleCreateSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.NewSession
		if !a.bind(c, &req) {
			return
		}
		sess, err := a.svc.CreateSession(c.Request.Context(), actorFrom(c), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, a.svc.Info(sess))
	}
}

// GET /api/v1/sessions/{id} → the facilitator view.
func (a *api) handleGetSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		aud := forum.ForFacilitator
		if c.Query("audience") == "presenter" {
			aud = forum.ForPresenter // what the room may see: for the presenter screen
		}
		v, err := a.svc.ViewAs(c.Request.Context(), actorFrom(c), c.Param("id"), aud)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	}
}

// PATCH /api/v1/sessions/{id} {"title","groups","anonymity_threshold"} → 200 with the session.
func (a *api) handleUpdateSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.SessionPatch
		if !a.bind(c, &req) {
			return
		}
		sess, err := a.svc.UpdateSession(c.Request.Context(), actorFrom(c), c.Param("id"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, a.svc.Info(sess))
	}
}

// DELETE /api/v1/sessions/{id} → 204; everything of the session is gone.
func (a *api) handleDeleteSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.svc.DeleteSession(c.Request.Context(), actorFrom(c), c.Param("id")); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// POST /api/v1/sessions/{id}/activities → 201 with the activity.
func (a *api) handleAddActivity() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.NewActivity
		if !a.bind(c, &req) {
			return
		}
		act, err := a.svc.AddActivity(c.Request.Context(), actorFrom(c), c.Param("id"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, act)
	}
}

// GET /api/v1/sessions/{id}/comments → {"comments":[…]}, every comment, hidden ones
// included, in creation order; groups follow the anonymity rule.
func (a *api) handleListComments() gin.HandlerFunc {
	return func(c *gin.Context) {
		sess, ok := a.session(c)
		if !ok {
			return
		}
		out, err := a.svc.FacilitatorComments(c.Request.Context(), sess)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"comments": out})
	}
}

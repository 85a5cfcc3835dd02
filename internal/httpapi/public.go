package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

func (a *api) retentionDays() int {
	return int(a.svc.Config().Retention / (24 * time.Hour))
}

// GET /api/v1/config (public) → {"version","retention_days","languages"}.
func (a *api) handleConfig() gin.HandlerFunc {
	return func(c *gin.Context) {
		out := gin.H{
			"version":        a.cfg.Version,
			"retention_days": a.retentionDays(),
			"languages":      []string{"da", "en"},
		}
		if a.cfg.SSO != nil {
			out["sso"] = gin.H{"login_url": "/api/v1/auth/oidc/login", "label": a.cfg.SSO.Label()}
		}
		c.JSON(http.StatusOK, out)
	}
}

// joinJSON is what a phone learns about a session before it joins.
type joinJSON struct {
	SessionID     string             `json:"session_id"`
	Title         string             `json:"title"`
	State         forum.SessionState `json:"state"`
	Language      string             `json:"language"`
	Groups        []forum.Group      `json:"groups"`
	JoinURL       string             `json:"join_url"`
	RetentionDays int                `json:"retention_days"`
}

// GET /api/v1/join/{code} (public) → {"session_id","title","state","language","groups",
// "join_url","retention_days"}; unknown or ended → 404 unknown_code; guessing → 429.
func (a *api) handleJoinLookup() gin.HandlerFunc {
	return func(c *gin.Context) {
		code := c.Param("code")
		sess, err := a.svc.JoinLookup(c.Request.Context(), code, a.trusted.clientAddr(c.Request))
		if err != nil {
			a.fail(c, err)
			return
		}
		groups := sess.Groups
		if groups == nil {
			groups = []forum.Group{}
		}
		c.JSON(http.StatusOK, joinJSON{
			SessionID: sess.ID, Title: sess.Title, State: sess.State, Language: sess.Language,
			Groups: groups, JoinURL: a.svc.JoinURL(sess.Code), RetentionDays: a.retentionDays(),
		})
	}
}

// GET /api/v1/join/{code}/live: the participant's socket. A foreign Origin is refused
// before the upgrade, and so is an address past the join-guessing limit (429).
func (a *api) handleParticipantLive() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !AllowedOrigin(c.Request, a.allowedOrigins) {
			writeError(c, http.StatusForbidden, forum.EForbidden, "This page may not open a connection here (Origin check).", nil)
			return
		}
		if a.live == nil {
			writeError(c, http.StatusServiceUnavailable, forum.EUnavailable, "Live connections are not available on this server.", nil)
			return
		}
		// The join-guessing limit holds for sockets too: past it, 429 before the upgrade.
		addr := a.trusted.clientAddr(c.Request)
		if err := a.svc.GuardJoin(c.Request.Context(), c.Param("code"), addr); err != nil {
			a.fail(c, err)
			return
		}
		// The socket's hello counts new participants per client address.
		r := c.Request.WithContext(forum.WithClientAddr(c.Request.Context(), addr))
		a.live.ServeParticipant(c.Writer, r, c.Param("code"))
	}
}

// GET /api/v1/sessions/{id}/live: the facilitator's (and presenter screen's) socket. Origin,
// then credentials (401), then access to the session (404), then the upgrade.
func (a *api) handleFacilitatorLive() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !AllowedOrigin(c.Request, a.allowedOrigins) {
			writeError(c, http.StatusForbidden, forum.EForbidden, "This page may not open a connection here (Origin check).", nil)
			return
		}
		u, cred, err := a.credential(c.Request)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Set(actorKey, u)
		sess, ok := a.session(c)
		if !ok {
			return
		}
		if a.live == nil {
			writeError(c, http.StatusServiceUnavailable, forum.EUnavailable, "Live connections are not available on this server.", nil)
			return
		}
		// The socket checks this credential again whenever access may have ended.
		r := c.Request.WithContext(forum.WithCredential(c.Request.Context(), cred))
		a.live.ServeFacilitator(c.Writer, r, u, sess.ID)
	}
}

package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// POST /api/v1/users/{id}/password (admin) {"password"} → 204: the account's password is
// replaced and its logins end.
func (a *api) handleResetPassword() gin.HandlerFunc {
	type request struct {
		Password string `json:"password"`
	}
	return func(c *gin.Context) {
		var req request
		if !a.bind(c, &req) {
			return
		}
		if err := a.svc.ResetPassword(c.Request.Context(), actorFrom(c), c.Param("id"), req.Password); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// GET /api/v1/facilitators → {"facilitators":[{"email","name"}]}: the other active accounts,
// for sharing a session.
func (a *api) handleListColleagues() gin.HandlerFunc {
	return func(c *gin.Context) {
		out, err := a.svc.Colleagues(c.Request.Context(), actorFrom(c))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"facilitators": out})
	}
}

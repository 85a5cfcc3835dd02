package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// PATCH /api/v1/sessions/{id}/activities/{activity} → the activity after the change.
// Wording may always change; anything else only while voting is closed and nobody has
// answered (409 conflict with a detail field "open" or "answered" otherwise).
func (a *api) handleUpdateActivity() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.ActivityPatch
		if !a.bind(c, &req) {
			return
		}
		act, err := a.svc.UpdateActivity(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("activity"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, act)
	}
}

// DELETE /api/v1/sessions/{id}/activities/{activity} → 204, under the same rule.
func (a *api) handleDeleteActivity() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.svc.DeleteActivity(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("activity")); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

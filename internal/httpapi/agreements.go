package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// POST /api/v1/sessions/{id}/follow-up → 201 with a new self-paced session that follows the
// session up: the same statements, one item per agreement, "follows":"<id>". The body
// ({"title","opens_at","closes_at"}) is optional.
func (a *api) handleFollowUp() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.FollowUpRequest
		if c.Request.ContentLength != 0 && !a.bind(c, &req) {
			return
		}
		sess, err := a.svc.FollowUp(c.Request.Context(), actorFrom(c), c.Param("id"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, a.svc.Info(sess))
	}
}

// GET /api/v1/sessions/{id}/themes → {"themes":[…]}.
func (a *api) handleListThemes() gin.HandlerFunc {
	return func(c *gin.Context) {
		out, err := a.svc.Themes(c.Request.Context(), actorFrom(c), c.Param("id"))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"themes": out})
	}
}

// POST /api/v1/sessions/{id}/themes {"title","comments":[ids]} → 201 with the theme.
func (a *api) handleAddTheme() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.ThemeIn
		if !a.bind(c, &req) {
			return
		}
		out, err := a.svc.AddTheme(c.Request.Context(), actorFrom(c), c.Param("id"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, out)
	}
}

// PATCH /api/v1/sessions/{id}/themes/{theme} {"title"?,"comments"?} → 200 with the theme.
func (a *api) handleUpdateTheme() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.ThemeIn
		if !a.bind(c, &req) {
			return
		}
		out, err := a.svc.UpdateTheme(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("theme"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, out)
	}
}

// DELETE /api/v1/sessions/{id}/themes/{theme} → 204.
func (a *api) handleDeleteTheme() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.svc.DeleteTheme(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("theme")); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// POST /api/v1/sessions/{id}/themes/{theme}/proposal → 201 with the choice activity that
// puts the theme to the room (ja / måske / nej); the same one when asked again.
func (a *api) handleProposeTheme() gin.HandlerFunc {
	return func(c *gin.Context) {
		out, err := a.svc.ProposeTheme(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("theme"))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, out)
	}
}

// GET /api/v1/sessions/{id}/agreements → {"agreements":[…]}.
func (a *api) handleListAgreements() gin.HandlerFunc {
	return func(c *gin.Context) {
		out, err := a.svc.Agreements(c.Request.Context(), actorFrom(c), c.Param("id"))
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"agreements": out})
	}
}

// POST /api/v1/sessions/{id}/agreements {"what","who","due","follow_up","statements","theme"}
// → 201 with the agreement.
func (a *api) handleAddAgreement() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.AgreementIn
		if !a.bind(c, &req) {
			return
		}
		out, err := a.svc.AddAgreement(c.Request.Context(), actorFrom(c), c.Param("id"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, out)
	}
}

// PATCH /api/v1/sessions/{id}/agreements/{aid} → 200 with the agreement.
func (a *api) handleUpdateAgreement() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.AgreementIn
		if !a.bind(c, &req) {
			return
		}
		out, err := a.svc.UpdateAgreement(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("agreement"), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, out)
	}
}

// DELETE /api/v1/sessions/{id}/agreements/{aid} → 204.
func (a *api) handleDeleteAgreement() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.svc.DeleteAgreement(c.Request.Context(), actorFrom(c), c.Param("id"), c.Param("agreement")); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

package httpapi

import "github.com/gin-gonic/gin"

// loginPath is the one state-changing route that a request without credentials may call
// from a browser; crossOrigin treats it specially.
const loginPath = "/api/v1/auth/login"

// routes lists every route of the server, in one place.
func (a *api) routes(r *gin.Engine) {
	r.Use(a.observe(), securityHeaders(a.cfg.HSTS), a.recovery())
	r.NoRoute(a.noRoute())
	r.NoMethod(a.noMethod())

	// Operations.
	r.GET("/healthz", a.handleHealthz())
	r.HEAD("/healthz", a.handleHealthz())
	r.GET("/readyz", a.handleReadyz())
	r.HEAD("/readyz", a.handleReadyz())
	r.GET("/metrics", a.handleMetrics())

	v1 := r.Group("/api/v1", a.crossOrigin())

	// Public: no account needed.
	v1.GET("/config", a.handleConfig())
	v1.POST("/auth/login", a.handleLogin())
	v1.POST("/auth/logout", a.handleLogout())
	v1.GET("/auth/oidc/login", a.handleSSOLogin())
	v1.GET("/auth/oidc/callback", a.handleSSOCallback())
	v1.GET("/join/:code", a.handleJoinLookup())
	v1.GET("/join/:code/live", a.handleParticipantLive())
	// The facilitator socket checks the Origin before it authenticates, so it does its own.
	v1.GET("/sessions/:id/live", a.handleFacilitatorLive())

	// Facilitators (cookie or bearer token).
	f := v1.Group("", a.requireUser())
	f.GET("/auth/me", a.handleMe())
	f.POST("/auth/logout-all", a.handleLogoutAll())
	f.POST("/auth/password", a.handleChangePassword())

	f.GET("/tokens", a.handleListTokens())
	f.POST("/tokens", a.handleCreateToken())
	f.DELETE("/tokens/:id", a.handleDeleteToken())

	f.GET("/users", a.handleListUsers())
	f.POST("/users", a.handleCreateUser())
	f.PATCH("/users/:id", a.handleUpdateUser())
	f.POST("/users/:id/password", a.handleResetPassword())
	f.GET("/facilitators", a.handleListColleagues())

	f.GET("/charters", a.handleListCharters())
	f.POST("/charters", a.handleImportCharter())
	f.GET("/charters/:id", a.handleGetCharter())
	f.GET("/charters/:id/source", a.handleCharterSource())
	f.POST("/charters/:id/versions", a.handleCharterVersion())
	f.GET("/charters/:id/results", a.handleCharterResults())
	f.GET("/charters/:id/results.xlsx", a.handleCharterResultsXLSX())

	f.GET("/sessions", a.handleListSessions())
	f.POST("/sessions", a.handleCreateSession())
	f.GET("/sessions/:id", a.handleGetSession())
	f.PATCH("/sessions/:id", a.handleUpdateSession())
	f.DELETE("/sessions/:id", a.handleDeleteSession())
	f.POST("/sessions/:id/activities", a.handleAddActivity())
	f.PATCH("/sessions/:id/activities/:activity", a.handleUpdateActivity())
	f.DELETE("/sessions/:id/activities/:activity", a.handleDeleteActivity())
	f.POST("/sessions/:id/copy", a.handleCopySession())
	f.POST("/sessions/:id/follow-up", a.handleFollowUp())
	f.GET("/sessions/:id/themes", a.handleListThemes())
	f.POST("/sessions/:id/themes", a.handleAddTheme())
	f.PATCH("/sessions/:id/themes/:theme", a.handleUpdateTheme())
	f.DELETE("/sessions/:id/themes/:theme", a.handleDeleteTheme())
	f.POST("/sessions/:id/themes/:theme/proposal", a.handleProposeTheme())
	f.GET("/sessions/:id/agreements", a.handleListAgreements())
	f.POST("/sessions/:id/agreements", a.handleAddAgreement())
	f.PATCH("/sessions/:id/agreements/:agreement", a.handleUpdateAgreement())
	f.DELETE("/sessions/:id/agreements/:agreement", a.handleDeleteAgreement())
	f.GET("/templates", a.handleListTemplates())
	f.GET("/sessions/:id/comments", a.handleListComments())
	f.GET("/sessions/:id/qr.svg", a.handleQRSVG())
	f.GET("/sessions/:id/qr.png", a.handleQRPNG())
	f.GET("/sessions/:id/export/votes.csv", a.handleExportVotesCSV())
	f.GET("/sessions/:id/export/comments.csv", a.handleExportCommentsCSV())
	f.GET("/sessions/:id/export/agreements.csv", a.handleExportAgreementsCSV())
	f.GET("/sessions/:id/export/results.xlsx", a.handleExportXLSX())
	f.GET("/sessions/:id/export/report.pdf", a.handleExportPDF())
	f.GET("/sessions/:id/export/session.json", a.handleExportJSON())

	// Pages of the frontend.
	page := func(path, file string) {
		h := a.handlePage(file)
		r.GET(path, h)
		r.HEAD(path, h)
	}
	page("/", "index.html")
	page("/j/*code", "index.html")
	page("/host", "host.html")
	page("/host/*path", "host.html")
	page("/present", "present.html")
	page("/present/*path", "present.html")
	r.GET("/legal.css", a.handleLegalCSS())
	for path, file := range map[string]string{"/tilgaengelighed": "tilgaengelighed.html", "/privatliv": "privatliv.html"} {
		h := a.handleLegal(file)
		r.GET(path, h)
		r.HEAD(path, h)
	}
	r.GET("/assets/*filepath", a.handleAsset())
	r.HEAD("/assets/*filepath", a.handleAsset())
	// Any other file of the frontend (favicon.ico, robots.txt, …) is served by noRoute.
}

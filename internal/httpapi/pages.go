package httpapi

import (
	"context"
	"crypto/subtle"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// handlePage serves one HTML page of the frontend, or the placeholder when the frontend
// has not been built.
func (a *api) handlePage(file string) gin.HandlerFunc {
	return func(c *gin.Context) {
		body := a.cfg.Placeholder
		if a.cfg.Frontend != nil {
			if b, err := fs.ReadFile(a.cfg.Frontend, file); err == nil {
				body = b
			}
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", body)
	}
}

// handleAsset serves /assets/… from the frontend (hashed names, cached for a year).
func (a *api) handleAsset() gin.HandlerFunc {
	return func(c *gin.Context) {
		if a.serveFile(c, "/assets"+c.Param("filepath")) {
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 – filen findes ikke (file not found)\n"))
	}
}

// serveFile serves a regular file of the frontend at urlPath, and reports whether there
// was one. Directories are never listed.
func (a *api) serveFile(c *gin.Context, urlPath string) bool {
	if a.cfg.Frontend == nil {
		return false
	}
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name == "" || !fs.ValidPath(name) {
		return false
	}
	st, err := fs.Stat(a.cfg.Frontend, name)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	http.ServeFileFS(c.Writer, c.Request, a.cfg.Frontend, name)
	c.Abort()
	return true
}

// GET /healthz → 200 while the process runs.
func (a *api) handleHealthz() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	}
}

// GET /readyz → 200 when the engine is reachable and the instance is not draining, else 503.
func (a *api) handleReadyz() gin.HandlerFunc {
	ready := a.cfg.Ready
	if ready == nil {
		ready = func(ctx context.Context) error {
			if a.svc == nil {
				return nil
			}
			return a.svc.Ping(ctx)
		}
	}
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			a.log.Debug("not ready", "err", err)
			c.Header("Retry-After", "1")
			writeError(c, http.StatusServiceUnavailable, forum.EUnavailable,
				"Not ready: the storage engine is unreachable or this instance is shutting down.", nil)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	}
}

// GET /metrics → Prometheus text format.
func (a *api) handleMetrics() gin.HandlerFunc {
	return func(c *gin.Context) {
		if a.cfg.Metrics == nil {
			writeError(c, http.StatusNotFound, forum.ENotFound, "Metrics are not enabled.", nil)
			return
		}
		if want := a.cfg.MetricsToken; want != "" {
			tok, _ := bearerToken(c.Request)
			if subtle.ConstantTimeCompare([]byte(tok), []byte(want)) != 1 {
				c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
				writeError(c, http.StatusUnauthorized, forum.EUnauthenticated, "Send the metrics token as \"Authorization: Bearer <token>\".", nil)
				return
			}
		}
		a.cfg.Metrics.ServeHTTP(c.Writer, c.Request)
	}
}

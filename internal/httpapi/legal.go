package httpapi

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// The public-sector pack: the accessibility statement (/tilgaengelighed) and the privacy
// page with the data map (/privatliv), each in Danish and English on one page. They are
// rendered from the running configuration (retention, threshold, the site's address), so
// what they say stays true; legal_test.go reads them.

//go:embed legal/*.html legal/*.tmpl legal/legal.css
var legalFiles embed.FS

var legalPages = template.Must(template.ParseFS(legalFiles, "legal/*.html", "legal/*.tmpl"))

// legalUpdated is the date the pages were last reviewed against the product.
const (
	legalUpdated   = "4. december 2026"
	legalUpdatedEn = "4 December 2026"
)

// handleLegalCSS serves the pages' style sheet (a file of its own: the pages' content
// security policy allows no inline style).
func (a *api) handleLegalCSS() gin.HandlerFunc {
	css, _ := legalFiles.ReadFile("legal/legal.css")
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/css; charset=utf-8", css)
	}
}

// handleLegal serves one of the pages.
func (a *api) handleLegal(file string) gin.HandlerFunc {
	return func(c *gin.Context) {
		site := a.cfg.PublicURL
		if u, err := url.Parse(site); err == nil && u.Host != "" {
			site = u.Host
		}
		days := int(a.svc.Config().Retention.Hours() / 24)
		var buf bytes.Buffer
		err := legalPages.ExecuteTemplate(&buf, file, map[string]any{
			"Site": site, "RetentionDays": days, "Threshold": forum.DefaultThreshold,
			"MinAnswers": forum.DefaultThreshold, "Updated": legalUpdated, "UpdatedEn": legalUpdatedEn,
		})
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
	}
}

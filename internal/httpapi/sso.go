package httpapi

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
	"pejl/internal/sso"
)

// ssoCookie keeps a started single sign-on login (state, nonce, PKCE verifier) in the
// browser between the two routes below; it is sent only to them.
const (
	ssoCookie     = "pejl_sso"
	ssoCookiePath = "/api/v1/auth/oidc"
)

// Reasons the login page is given (?sso_error=…) besides forum's SSORefused* ones.
const (
	ssoFailed      = "sso_failed"      // the provider's answer could not be verified
	ssoExpired     = "sso_expired"     // no started login in this browser, or it took too long
	ssoState       = "sso_state"       // the state does not match this browser's login
	ssoDenied      = "sso_denied"      // the provider said no (the person cancelled, …)
	ssoUnavailable = "sso_unavailable" // the provider could not be reached
)

func (a *api) setSSOCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: ssoCookie, Value: value, Path: ssoCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: a.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// safeNext keeps next when it is a path of the facilitator pages, else "/host".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || strings.HasPrefix(next, "//") ||
		strings.Contains(next, `\`) || (u.Path != "/host" && !strings.HasPrefix(u.Path, "/host/")) {
		return "/host"
	}
	return u.RequestURI()
}

// loginPage is the facilitator login page with a reason for the person.
func loginPage(reason string) string { return "/host?sso_error=" + url.QueryEscape(reason) }

// GET /api/v1/auth/oidc/login?next=/host/… → 302 to the provider (PKCE S256, state, nonce);
// 404 when single sign-on is not configured.
func (a *api) handleSSOLogin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if a.cfg.SSO == nil {
			a.fail(c, errorf(forum.ENotFound, "Single sign-on is not configured on this server."))
			return
		}
		to, pd, err := a.cfg.SSO.Start(c.Request.Context(), safeNext(c.Query("next")), time.Now())
		if err != nil {
			a.log.Warn("single sign-on: the provider could not be reached", "err", err)
			c.Redirect(http.StatusFound, loginPage(ssoUnavailable))
			return
		}
		a.setSSOCookie(c, pd.Encode(), int(sso.PendingLifetime/time.Second))
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusFound, to)
	}
}

// GET /api/v1/auth/oidc/callback?code=…&state=… (the provider sends the browser here) →
// 302 to the page the login started from, with the login cookie; any failure → 302 to
// /host?sso_error=<reason>, and no login. A state is used once: a replayed callback is
// refused even with the cookie that started it.
func (a *api) handleSSOCallback() gin.HandlerFunc {
	return func(c *gin.Context) {
		if a.cfg.SSO == nil {
			a.fail(c, errorf(forum.ENotFound, "Single sign-on is not configured on this server."))
			return
		}
		c.Header("Cache-Control", "no-store")
		ctx := c.Request.Context()
		refuse := func(reason string, err error) {
			a.log.Info("single sign-on refused", "reason", reason, "err", err)
			c.Redirect(http.StatusFound, loginPage(reason))
		}
		ck, _ := c.Request.Cookie(ssoCookie)
		a.setSSOCookie(c, "", -1) // one callback per started login, whatever happens
		if e := c.Query("error"); e != "" {
			refuse(ssoDenied, errors.New(e+": "+c.Query("error_description")))
			return
		}
		if ck == nil {
			refuse(ssoExpired, errors.New("no login cookie"))
			return
		}
		pd, ok := sso.DecodePending(ck.Value, time.Now())
		if !ok {
			refuse(ssoExpired, errors.New("the login cookie is malformed or expired"))
			return
		}
		state := c.Query("state")
		if subtle.ConstantTimeCompare([]byte(state), []byte(pd.State)) != 1 {
			refuse(ssoState, errors.New("the state does not match the cookie"))
			return
		}
		if err := a.svc.ClaimOnce(ctx, "sso-state", state, sso.PendingLifetime); err != nil {
			refuse(reasonOf(err, ssoFailed), err)
			return
		}
		id, err := a.cfg.SSO.Finish(ctx, pd, c.Query("code"))
		if errors.Is(err, sso.ErrLogin) {
			refuse(ssoFailed, err)
			return
		}
		if err != nil {
			refuse(ssoUnavailable, err)
			return
		}
		_, secret, err := a.svc.SSOLogin(ctx, a.cfg.SSO.Policy(), id)
		if err != nil {
			refuse(reasonOf(err, ssoFailed), err)
			return
		}
		a.setLoginCookie(c, secret, int(forum.LoginLifetime/time.Second))
		c.Redirect(http.StatusFound, safeNext(pd.Next))
	}
}

// reasonOf is the SSORefused* reason a forum error carries, else def.
func reasonOf(err error, def string) string {
	var fe *forum.Error
	if errors.As(err, &fe) && len(fe.Details) == 1 && strings.HasPrefix(fe.Details[0].Field, "sso_") {
		return fe.Details[0].Field
	}
	return def
}

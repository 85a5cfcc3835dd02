package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// userJSON is an account as the API shows it: never its password hash.
type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled,omitempty"`
	// SSO: the account is linked to a single sign-on identity.
	SSO bool `json:"sso,omitempty"`
	// NoPassword: the account has no password (made by single sign-on, until an admin sets one).
	NoPassword bool `json:"no_password,omitempty"`
}

func userOut(u *forum.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, CreatedAt: u.CreatedAt, Disabled: u.Disabled, SSO: u.SSOSubject != "",
		NoPassword: u.PasswordHash == ""}
}

// tokenJSON is an API token as listed: never its hash.
type tokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (a *api) setLoginCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   a.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// POST /api/v1/auth/login {"email","password"} → 200 {"user"} and the login cookie.
func (a *api) handleLogin() gin.HandlerFunc {
	type request struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	return func(c *gin.Context) {
		var req request
		if !a.bind(c, &req) {
			return
		}
		u, secret, err := a.svc.Login(c.Request.Context(), req.Email, req.Password, a.trusted.clientAddr(c.Request))
		if err != nil {
			a.fail(c, err)
			return
		}
		a.setLoginCookie(c, secret, int(forum.LoginLifetime/time.Second))
		c.JSON(http.StatusOK, gin.H{"user": userOut(u)})
	}
}

// POST /api/v1/auth/logout → 204; the login ends and the cookie is cleared.
func (a *api) handleLogout() gin.HandlerFunc {
	return func(c *gin.Context) {
		if ck, err := c.Request.Cookie(sessionCookie); err == nil && ck.Value != "" {
			if err := a.svc.Logout(c.Request.Context(), ck.Value); err != nil && forum.ErrorCode(err) != forum.ENotFound {
				a.fail(c, err)
				return
			}
		}
		a.setLoginCookie(c, "", -1)
		c.Status(http.StatusNoContent)
	}
}

// GET /api/v1/auth/me → {"user"}.
func (a *api) handleMe() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"user": userOut(actorFrom(c))})
	}
}

// GET /api/v1/tokens → {"tokens":[{"id","name","created_at"}]}.
func (a *api) handleListTokens() gin.HandlerFunc {
	return func(c *gin.Context) {
		ts, err := a.svc.Tokens(c.Request.Context(), actorFrom(c))
		if err != nil {
			a.fail(c, err)
			return
		}
		out := make([]tokenJSON, len(ts))
		for i, t := range ts {
			out[i] = tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
		}
		c.JSON(http.StatusOK, gin.H{"tokens": out})
	}
}

// POST /api/v1/tokens {"name", "expires_in_days"?} → 201 {"token","id","name","created_at",
// "expires_at"?}; the token is shown only this once.
func (a *api) handleCreateToken() gin.HandlerFunc {
	type request struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days"`
	}
	return func(c *gin.Context) {
		var req request
		if !a.bind(c, &req) {
			return
		}
		if req.ExpiresInDays < 0 || req.ExpiresInDays > 3650 {
			a.fail(c, forum.Errorf(forum.EBadRequest, "expires_in_days must be 0 (no expiry) to 3650."))
			return
		}
		secret, t, err := a.svc.CreateToken(c.Request.Context(), actorFrom(c), req.Name, time.Duration(req.ExpiresInDays)*24*time.Hour)
		if err != nil {
			a.fail(c, err)
			return
		}
		out := gin.H{"token": secret, "id": t.ID, "name": t.Name, "created_at": t.CreatedAt}
		if t.ExpiresAt != nil {
			out["expires_at"] = t.ExpiresAt
		}
		c.JSON(http.StatusCreated, out)
	}
}

// DELETE /api/v1/tokens/{id} → 204.
func (a *api) handleDeleteToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := a.svc.DeleteToken(c.Request.Context(), actorFrom(c), c.Param("id")); err != nil {
			a.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// GET /api/v1/users (admin) → {"users":[…]}.
func (a *api) handleListUsers() gin.HandlerFunc {
	return func(c *gin.Context) {
		us, err := a.svc.Users(c.Request.Context(), actorFrom(c))
		if err != nil {
			a.fail(c, err)
			return
		}
		out := make([]userJSON, len(us))
		for i := range us {
			out[i] = userOut(&us[i])
		}
		c.JSON(http.StatusOK, gin.H{"users": out})
	}
}

// POST /api/v1/users (admin) {"email","password","name","role"} → 201 {"user"}.
func (a *api) handleCreateUser() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req forum.NewUser
		if !a.bind(c, &req) {
			return
		}
		u, err := a.svc.CreateUser(c.Request.Context(), actorFrom(c), req)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"user": userOut(u)})
	}
}

// POST /api/v1/auth/logout-all → 204: every login of the user ends, on every device, and
// sockets opened with them close; this device gets a fresh login cookie.
func (a *api) handleLogoutAll() gin.HandlerFunc {
	return func(c *gin.Context) {
		secret, err := a.svc.EndAllLogins(c.Request.Context(), actorFrom(c))
		if err != nil {
			a.fail(c, err)
			return
		}
		a.setLoginCookie(c, secret, int(forum.LoginLifetime/time.Second))
		c.Status(http.StatusNoContent)
	}
}

// POST /api/v1/auth/password {"current_password","new_password"} → 204: the password changes,
// every login ends (sockets opened with them close) and this device gets a fresh login cookie.
func (a *api) handleChangePassword() gin.HandlerFunc {
	type request struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	return func(c *gin.Context) {
		var req request
		if !a.bind(c, &req) {
			return
		}
		secret, err := a.svc.ChangePassword(c.Request.Context(), actorFrom(c), req.Current, req.New)
		if err != nil {
			a.fail(c, err)
			return
		}
		a.setLoginCookie(c, secret, int(forum.LoginLifetime/time.Second))
		c.Status(http.StatusNoContent)
	}
}

// PATCH /api/v1/users/{id} (admin) {"disabled": bool} → 200 {"user"}: a deactivated account
// cannot log in, and its logins, tokens and open sockets stop working at once.
func (a *api) handleUpdateUser() gin.HandlerFunc {
	type request struct {
		Disabled *bool `json:"disabled"`
	}
	return func(c *gin.Context) {
		var req request
		if !a.bind(c, &req) {
			return
		}
		if req.Disabled == nil {
			a.fail(c, forum.Errorf(forum.EBadRequest, "Send {\"disabled\": true} or {\"disabled\": false}."))
			return
		}
		u, err := a.svc.SetUserDisabled(c.Request.Context(), actorFrom(c), c.Param("id"), *req.Disabled)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"user": userOut(u)})
	}
}

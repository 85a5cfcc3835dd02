package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// Error codes this edge adds to forum's.
const (
	eNotImplemented       = "not_implemented"
	eMethodNotAllowed     = "method_not_allowed"
	eUnsupportedMediaType = "unsupported_media_type"
)

// statusOf maps every error code to its HTTP status, once. Codes not listed are 500.
var statusOf = map[string]int{
	forum.EBadRequest:         http.StatusBadRequest,
	forum.EBadMessage:         http.StatusBadRequest,
	forum.EInvalidValue:       http.StatusBadRequest,
	forum.EUnknownActivity:    http.StatusNotFound,
	forum.EActivityClosed:     http.StatusConflict,
	forum.EInvalidCredentials: http.StatusUnauthorized,
	forum.EUnauthenticated:    http.StatusUnauthorized,
	forum.EForbidden:          http.StatusForbidden,
	forum.ENotFound:           http.StatusNotFound,
	forum.EUnknownCode:        http.StatusNotFound,
	forum.EConflict:           http.StatusConflict,
	forum.ESessionEnded:       http.StatusConflict,
	forum.ESessionClosed:      http.StatusConflict,
	forum.ESessionFull:        http.StatusForbidden,
	forum.EInvalidCharter:     http.StatusUnprocessableEntity,
	forum.ETooLarge:           http.StatusRequestEntityTooLarge,
	forum.ERateLimited:        http.StatusTooManyRequests,
	forum.EUnavailable:        http.StatusServiceUnavailable,
	eNotImplemented:           http.StatusNotImplemented,
	eMethodNotAllowed:         http.StatusMethodNotAllowed,
	eUnsupportedMediaType:     http.StatusUnsupportedMediaType,
}

// errorBody is the spec's error shape.
type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details []forum.Detail `json:"details"`
}

const genericMessage = "Something went wrong on our side. Please try again."

// fail answers a request with the error's status and JSON body and aborts the chain.
// Domain errors keep their code, message and details; anything else is a 500 with a generic
// message, and is logged here (the one place it is handled).
func (a *api) fail(c *gin.Context, err error) {
	var fe *forum.Error
	if !errors.As(err, &fe) {
		fe = &forum.Error{Code: forum.EInternal}
	}
	status, ok := statusOf[fe.Code]
	msg := fe.Message
	if !ok {
		status, msg = http.StatusInternalServerError, genericMessage
		a.log.Error("request failed", "method", c.Request.Method, "route", routeOf(c), "err", err)
		fe = &forum.Error{Code: forum.EInternal}
	}
	if status == http.StatusServiceUnavailable {
		a.log.Warn("engine unavailable", "method", c.Request.Method, "route", routeOf(c), "err", err)
		c.Header("Retry-After", "1")
	}
	if fe.Code == forum.ERateLimited {
		c.Header("Retry-After", strconv.Itoa(max(1, fe.RetryAfter)))
	}
	if msg == "" {
		msg = http.StatusText(status) + "."
	}
	writeError(c, status, fe.Code, msg, fe.Details)
}

// writeError writes the spec's error shape and aborts the chain.
func writeError(c *gin.Context, status int, code, msg string, details []forum.Detail) {
	if details == nil {
		details = []forum.Detail{}
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, errorBody{Error: errorObject{Code: code, Message: msg, Details: details}})
}

func errorf(code, format string, args ...any) *forum.Error {
	return &forum.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func routeOf(c *gin.Context) string {
	if p := c.FullPath(); p != "" {
		return p
	}
	return "unmatched"
}

func isAPI(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/")
}

// noRoute answers unknown paths: JSON 404 under /api/, a file of the frontend if there is
// one, else a plain 404 page.
func (a *api) noRoute() gin.HandlerFunc {
	return func(c *gin.Context) {
		if isAPI(c.Request.URL.Path) {
			writeError(c, http.StatusNotFound, forum.ENotFound, "There is no such endpoint. See docs/api.md.", nil)
			return
		}
		if (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) && a.serveFile(c, c.Request.URL.Path) {
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 – siden findes ikke (page not found)\n"))
		c.Abort()
	}
}

// noMethod answers a known path with the wrong method: JSON 405 under /api/.
func (a *api) noMethod() gin.HandlerFunc {
	return func(c *gin.Context) {
		if isAPI(c.Request.URL.Path) {
			writeError(c, http.StatusMethodNotAllowed, eMethodNotAllowed,
				fmt.Sprintf("%s is not allowed here; allowed: %s.", c.Request.Method, c.Writer.Header().Get("Allow")), nil)
			return
		}
		c.Data(http.StatusMethodNotAllowed, "text/plain; charset=utf-8", []byte("405 – method not allowed\n"))
		c.Abort()
	}
}

// recovery turns a panic into a JSON 500 without a stack trace, logging it once.
func (a *api) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			a.log.Error("panic in handler", "method", c.Request.Method, "route", routeOf(c), "panic", fmt.Sprint(rec))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			writeError(c, http.StatusInternalServerError, forum.EInternal, genericMessage, nil)
		}()
		c.Next()
	}
}

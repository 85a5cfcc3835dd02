package forum

import (
	"errors"
	"fmt"
)

// Error codes, transport-neutral. Each edge maps them once: httpapi to an HTTP status,
// live to a socket error or close code. The names are the spec's.
const (
	EBadRequest         = "bad_request"
	EInvalidCredentials = "invalid_credentials"
	EUnauthenticated    = "unauthenticated"
	EForbidden          = "forbidden"
	ENotFound           = "not_found"
	EUnknownCode        = "unknown_code"
	EInvalidCharter     = "invalid_charter"
	EConflict           = "conflict"
	ERateLimited        = "rate_limited"
	ETooLarge           = "too_large"
	EUnavailable        = "unavailable"
	EInternal           = "internal"

	// Socket-level codes.
	EBadMessage      = "bad_message"
	EUnknownActivity = "unknown_activity"
	EActivityClosed  = "activity_closed"
	EInvalidValue    = "invalid_value"
	ESessionEnded    = "session_ended"
	ESessionFull     = "session_full"
	// ESessionClosed: a self-paced session takes no answers now (not yet opened, or closed).
	ESessionClosed = "session_closed"
)

// Detail is one itemised problem, e.g. a charter line.
type Detail struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// MessageDA is the message in Danish, where one is written (charter problems).
	MessageDA string `json:"message_da,omitempty"`
}

// Error is a domain error: a code from the list above, a sentence a person can act on,
// and optional details.
type Error struct {
	Code    string
	Message string
	Details []Detail
	// RetryAfter is set with ERateLimited: how long to wait, in seconds (at least 1).
	RetryAfter int
	// Err is the cause (an engine's error, say), kept for the one place that logs it;
	// it is never shown to a client.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf makes a domain error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error, EInternal for anything else, "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the human message of a domain error, or a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}

// Sentinel errors engines return; the Service turns them into domain errors.
var (
	// ErrNotFound: the record does not exist (or no longer exists).
	ErrNotFound = &Error{Code: ENotFound, Message: "Not found."}
	// ErrConflict: a uniqueness or compare-and-swap check failed.
	ErrConflict = &Error{Code: EConflict, Message: "It was changed or exists already."}
	// ErrUnavailable: the engine cannot be reached; the caller may retry later.
	ErrUnavailable = &Error{Code: EUnavailable, Message: "The server cannot reach its storage right now. Please try again in a moment."}
)

package live

import (
	"pejl/internal/forum"
)

// Close codes. 4000–4499 tell the client to reconnect, 4500–4999 to stop (DESIGN rule 9,
// centrifuge's disconnect.go). 1009 is sent by gorilla/websocket itself when a frame is
// over the read limit.
const (
	CloseTooBig         = 1009 // frame over 16 KiB: reconnect, do not resend that message
	CloseRestart        = 1012 // server restarting (Shutdown): reconnect with backoff
	CloseSlow           = 4000 // send queue overflowed: reconnect
	CloseMoved          = 4001 // server shutting down / moving you: reconnect
	CloseRateLimited    = 4002 // rate limited after error rate_limited: reconnect after backoff
	CloseProtocol       = 4003 // no hello in time / protocol error: reconnect
	CloseUnavailable    = 4004 // storage unreachable while joining: reconnect with backoff
	CloseSessionGone    = 4500 // session deleted or unknown: stop
	CloseSessionEnded   = 4501 // session ended, no way back in: stop
	CloseForbidden      = 4503 // no longer allowed: stop
	closeNone           = 0    // no close frame to send (peer gone, or gorilla sent it)
	closeReasonMaxBytes = 120  // a close frame's reason must stay under 123 bytes
)

// Socket error codes (spec: "Error codes on the socket").
const (
	codeBadMessage      = "bad_message"
	codeUnknownActivity = "unknown_activity"
	codeActivityClosed  = "activity_closed"
	codeInvalidValue    = "invalid_value"
	codeRateLimited     = "rate_limited"
	codeSessionEnded    = "session_ended"
	codeSessionClosed   = "session_closed"
	codeForbidden       = "forbidden"
	codeUnavailable     = "unavailable"
)

// socketCodes is the one table from domain error codes to socket error codes (DESIGN
// rule 7). A code that is missing here becomes "unavailable".
var socketCodes = map[string]string{
	forum.EBadMessage:         codeBadMessage,
	forum.EUnknownActivity:    codeUnknownActivity,
	forum.EActivityClosed:     codeActivityClosed,
	forum.EInvalidValue:       codeInvalidValue,
	forum.ERateLimited:        codeRateLimited,
	forum.ESessionEnded:       codeSessionEnded,
	forum.ESessionClosed:      codeSessionClosed,
	forum.ESessionFull:        codeForbidden, // the spec's code; the message and close 4503 say it
	forum.EForbidden:          codeForbidden,
	forum.EUnauthenticated:    codeForbidden,
	forum.EInvalidCredentials: codeForbidden,
	forum.EBadRequest:         codeInvalidValue, // e.g. goto to a section the charter lacks
	forum.ENotFound:           codeInvalidValue, // e.g. moderate names an unknown comment
	forum.EUnknownCode:        codeInvalidValue,
	forum.ETooLarge:           codeInvalidValue,
	forum.EInvalidCharter:     codeInvalidValue,
	forum.EConflict:           codeUnavailable, // compare-and-swap kept failing: retry
	forum.EUnavailable:        codeUnavailable,
	forum.EInternal:           codeUnavailable,
}

// unavailableMessage is said for every failure that is not the client's.
const unavailableMessage = "The server cannot store this right now. Please try again in a moment."

// socketError maps a Service error to the socket's code and message.
func socketError(err error) (code, message string) {
	fc := forum.ErrorCode(err)
	code, ok := socketCodes[fc]
	if !ok {
		code = codeUnavailable
	}
	if code == codeUnavailable && fc != forum.EUnavailable && fc != forum.EConflict {
		return code, unavailableMessage
	}
	return code, forum.ErrorMessage(err)
}

// closeCodes maps the domain errors that end a join to a close code; anything else that
// ends a join is CloseUnavailable.
var closeCodes = map[string]int{
	forum.ENotFound:     CloseSessionGone,
	forum.EUnknownCode:  CloseSessionGone,
	forum.ESessionEnded: CloseSessionEnded,
	forum.EForbidden:    CloseForbidden,
	forum.ESessionFull:  CloseForbidden,
}

func closeCodeFor(err error) int {
	if c, ok := closeCodes[forum.ErrorCode(err)]; ok {
		return c
	}
	return CloseUnavailable
}

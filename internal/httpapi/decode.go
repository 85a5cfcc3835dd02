package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"pejl/internal/forum"
)

// maxJSONBody is the largest JSON request body.
const maxJSONBody = 64 << 10

// bind decodes the request's JSON body into v. Unknown fields are allowed (clients may send
// more than this server knows); a body that is empty, not JSON, of the wrong type, followed
// by more data, or over 64 KiB is answered with a 4xx and bind returns false.
func (a *api) bind(c *gin.Context, v any) bool {
	if err := decodeJSON(c.Writer, c.Request, v); err != nil {
		a.fail(c, err)
		return false
	}
	return true
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength > maxJSONBody {
		return tooLarge()
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			if e := decodeError(err); forum.ErrorCode(e) == forum.ETooLarge {
				return e
			}
		}
		return errorf(forum.EBadRequest, "The body must hold exactly one JSON object.")
	}
	return nil
}

func tooLarge() error {
	return errorf(forum.ETooLarge, "The request body may be at most 64 KiB.")
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge()
	case errors.Is(err, io.EOF):
		return errorf(forum.EBadRequest, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(forum.EBadRequest, "The body is not valid JSON: it ends too early.")
	case errors.As(err, &syn):
		return errorf(forum.EBadRequest, "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errorf(forum.EBadRequest, "The body must be a JSON object.")
		}
		e := errorf(forum.EBadRequest, "The field %q must be %s, not %s.", typ.Field, typeName(typ), typ.Value)
		e.Details = []forum.Detail{{Field: typ.Field, Message: e.Message}}
		return e
	}
	return errorf(forum.EBadRequest, "The body could not be read as JSON: %v", err)
}

func typeName(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "another type"
	}
	return kindName(e.Type)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "another type"
}

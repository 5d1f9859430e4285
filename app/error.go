package app

import (
	"errors"
	"fmt"
)

// Error codes a caller can branch on. The message of an *Error is written for
// the clerk (Simplified Chinese) and is safe to show in a dialog as it is.
const (
	EINVALID     = "invalid"     // input failed validation; Message says which field and why
	ECONFLICT    = "conflict"    // the change clashes with the current state
	ENOTFOUND    = "not_found"   // the record does not exist
	EFORBIDDEN   = "forbidden"   // the actor's role may not do this
	EINTERNAL    = "internal"    // a bug or an I/O failure; Message is generic
	EUNAVAILABLE = "unavailable" // a dependency (county server, disk) cannot be reached now
)

// Error is a domain error: a machine-readable code plus a Chinese message that
// names the field and what to fix. Field is the form field or column the
// message is about, when there is one, so a screen can focus it.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf builds an *Error with a formatted Chinese message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf builds an EINVALID *Error about one named field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message a person should see: the Chinese message of
// an *Error, or a generic one for anything else, so that Go error strings (which
// may carry paths or personal data) never reach a dialog.
func ErrorMessage(err error) string {
	var e *Error
	var p Problems
	if err == nil {
		return ""
	} else if errors.As(err, &p) {
		return p.Error()
	} else if errors.As(err, &e) {
		if e.Field != "" {
			return e.Field + "：" + e.Message
		}
		return e.Message
	}
	return "内部错误，请联系管理员。"
}

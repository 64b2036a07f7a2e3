// Package senda holds Senda's domain types, its one error type and the
// contracts that storage and services implement. It imports nothing of Senda's.
package senda

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an Error. Only the HTTP and web layers turn codes into
// statuses.
type Code string

// Error codes.
const (
	CodeInvalid     Code = "invalid"
	CodeNotFound    Code = "not_found"
	CodeConflict    Code = "conflict"
	CodeForbidden   Code = "forbidden"
	CodeUnavailable Code = "unavailable"
	// CodeUnauthorized: the caller must sign in (or its credentials are wrong).
	CodeUnauthorized Code = "unauthorized"
	// CodeTooMany: too many attempts; Args["retry_after"] gives seconds.
	CodeTooMany  Code = "too_many_requests"
	CodeInternal Code = "internal"
)

// FieldError names one input field that needs fixing. Key is a message
// catalogue key; Args fill its placeholders. Location is a JSON-pointer-like
// path ("body.members[2].birth_date") or, for files, "line 12, column 3".
type FieldError struct {
	Location string
	Key      string
	Args     map[string]any
}

// Error is the single error type of Senda. Key is the message catalogue key of
// a user-safe, localisable text; Fields lists every field to fix at once; Err
// is the wrapped cause and is for logs only, never shown to a user.
type Error struct {
	Code   Code
	Key    string
	Args   map[string]any
	Fields []FieldError
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Location, f.Key)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a code and message key.
func Errorf(code Code, key string, args map[string]any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// Wrap returns an internal Error wrapping cause.
func Wrap(cause error, key string) *Error {
	return &Error{Code: CodeInternal, Key: key, Err: cause}
}

// ErrorCode returns the code of err: the Code of the first *Error in its
// chain, or CodeInternal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsNotFound reports whether err is a not-found Error.
func IsNotFound(err error) bool { return ErrorCode(err) == CodeNotFound }

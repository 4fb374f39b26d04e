package agnostic

import "fmt"

// FieldError says what is wrong with one field of one process.
type FieldError struct {
	Process string // the process key or name
	Field   string
	Msg     string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("process %s: %s", e.Process, e.Msg)
	}
	return fmt.Sprintf("process %s: %s: %s", e.Process, e.Field, e.Msg)
}

func fieldErr(process, field, format string, args ...any) error {
	return &FieldError{Process: process, Field: field, Msg: fmt.Sprintf(format, args...)}
}

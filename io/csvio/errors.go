package csvio

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a [ParseError] may wrap. Test for them with [errors.Is].
var (
	ErrEmptyFile       = errors.New("csvio: empty file")
	ErrNoRows          = errors.New("csvio: header but no data rows")
	ErrFieldCount      = errors.New("csvio: wrong number of fields")
	ErrDuplicateColumn = errors.New("csvio: duplicate column name")
	ErrUnknownColumn   = errors.New("csvio: no such column")
	ErrNotNumber       = errors.New("csvio: not a number")
	ErrInfinite        = errors.New("csvio: infinite value")
	ErrTime            = errors.New("csvio: bad timestamp")
	ErrTimeOrder       = errors.New("csvio: timestamps not strictly increasing")
	ErrAmbiguousDate   = errors.New("csvio: ambiguous date format")
	ErrQuote           = errors.New("csvio: bad quoting")
	ErrNoColumns       = errors.New("csvio: no numeric columns")
	ErrLongRecord      = errors.New("csvio: record too long")
	ErrOption          = errors.New("csvio: invalid option")
)

// ParseError is the error returned by [Read] and [ReadFile] (and by [Write]
// for bad options): it says where in which file the problem is. Line and
// Column are 1-based; Line is 0 when the problem is not at a particular line
// (a missing file, an option), Column is 0 when it is not at a particular
// field.
type ParseError struct {
	File       string // name given to Read, or the path given to ReadFile
	Line       int    // physical line in the file, counting the header as line 1
	Column     int    // field position in the line
	ColumnName string // header name of that field, if known
	Err        error  // what went wrong: one of the ErrX values, or an I/O error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "csvio: %q", e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column > 0 {
		if e.Line > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " column %d", e.Column)
		if e.ColumnName != "" {
			fmt.Fprintf(&b, " (%q)", e.ColumnName)
		}
	}
	b.WriteString(": ")
	// The sentinels carry the package prefix for callers who print them
	// alone; here it would stutter.
	b.WriteString(strings.ReplaceAll(e.Err.Error(), "csvio: ", ""))
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

package arrowio

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Errors returned by the package. They are usually wrapped in an [*Error]
// that says which file and column they concern.
var (
	ErrFormat     = errors.New("arrowio: unknown format")
	ErrEmptyFile  = errors.New("arrowio: empty file")
	ErrNoRows     = errors.New("arrowio: no rows")
	ErrNoColumns  = errors.New("arrowio: no numeric columns")
	ErrNonNumeric = errors.New("arrowio: non-numeric column")
	ErrCorrupt    = errors.New("arrowio: corrupt or truncated data")
	ErrTime       = errors.New("arrowio: bad time index value")
)

// Error records a failed read or write and where it happened.
type Error struct {
	Op     string // "read" or "write"
	File   string // file name, empty for an io.Reader or io.Writer
	Column string // column name, empty if the error is not about one column
	Row    int    // 1-based row, 0 if the error is not about one row
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("arrowio: ")
	b.WriteString(e.Op)
	if e.File != "" {
		fmt.Fprintf(&b, " %q", e.File)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %q", e.Column)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	b.WriteString(": ")
	// The sentinels already say "arrowio:"; do not say it twice.
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "arrowio: "))
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Format is a file format.
type Format int

const (
	// FormatUnknown is the zero Format; WriteOptions.Format left at zero
	// means "from the extension".
	FormatUnknown Format = iota
	// FormatFile is the Arrow IPC file format (Feather v2).
	FormatFile
	// FormatStream is the Arrow IPC stream format.
	FormatStream
	// FormatParquet is Apache Parquet.
	FormatParquet
)

// String returns the format's usual name.
func (f Format) String() string {
	switch f {
	case FormatFile:
		return "arrow-file"
	case FormatStream:
		return "arrow-stream"
	case FormatParquet:
		return "parquet"
	}
	return "unknown"
}

var extensions = []struct {
	ext    string
	format Format
}{
	{".arrow", FormatFile},
	{".feather", FormatFile},
	{".arrows", FormatStream},
	{".ipc", FormatStream},
	{".parquet", FormatParquet},
}

// Extensions returns the known file extensions, with the leading dot.
func Extensions() []string {
	out := make([]string, len(extensions))
	for i, e := range extensions {
		out[i] = e.ext
	}
	return out
}

// FormatOf returns the format that path's extension names. An unknown
// extension gives an error wrapping [ErrFormat] that lists the known ones.
func FormatOf(path string) (Format, error) {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range extensions {
		if e.ext == ext {
			return e.format, nil
		}
	}
	return FormatUnknown, fmt.Errorf("%w: extension %q of %q (known: %s)",
		ErrFormat, ext, path, strings.Join(Extensions(), " "))
}

var (
	magicFile    = []byte("ARROW1")
	magicParquet = []byte("PAR1")
	// A stream message starts with the continuation marker 0xFFFFFFFF.
	magicStream = []byte{0xff, 0xff, 0xff, 0xff}
)

// sniff returns the format that the first bytes of a file announce.
func sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, magicFile):
		return FormatFile
	case bytes.HasPrefix(head, magicParquet):
		return FormatParquet
	case bytes.HasPrefix(head, magicStream):
		return FormatStream
	}
	return FormatUnknown
}

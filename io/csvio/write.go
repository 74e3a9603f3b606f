package csvio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/vica-dev/vica/internal/atomicfile"
	"github.com/vica-dev/vica/timeseries"
)

// WriteOption sets how [Write] writes a file.
type WriteOption func(*writeConfig)

type writeConfig struct {
	delim        rune
	decimalComma bool
}

// WithWriteDelimiter sets the field delimiter (default ',').
func WithWriteDelimiter(r rune) WriteOption { return func(c *writeConfig) { c.delim = r } }

// WithWriteDecimalComma writes numbers with a decimal comma (1,5); it needs
// a delimiter other than ',', such as ';'.
func WithWriteDecimalComma(on bool) WriteOption {
	return func(c *writeConfig) { c.decimalComma = on }
}

// WriteFile writes f to path through a temporary file in the same directory
// renamed into place, so that path is never left half-written; the
// temporary file is removed on error. A new file gets mode 0644, a replaced
// one keeps its mode.
func WriteFile(path string, f *timeseries.Frame, opts ...WriteOption) error {
	err := atomicfile.Write(path, func(w io.Writer) error { return Write(w, f, opts...) })
	if err == nil {
		return nil
	}
	if pe, ok := err.(*ParseError); ok {
		pe.File = path
		return pe
	}
	return &ParseError{File: path, Err: err}
}

// Write writes f as CSV with a header row: the time column first (if the
// frame has an index; named after Index.Name, or "time"), then the
// channels. Timestamps are RFC 3339 in UTC with nanoseconds as needed;
// numbers are the shortest text that reads back to the same float64; a
// missing value (NaN) is an empty field. Errors are *[ParseError] values.
func Write(w io.Writer, f *timeseries.Frame, opts ...WriteOption) error {
	cfg := writeConfig{delim: ','}
	for _, o := range opts {
		o(&cfg)
	}
	bad := func(err error) error { return &ParseError{File: "output", Err: err} }
	if cfg.delim >= 0x80 || cfg.delim == '"' || cfg.delim == '\n' || cfg.delim == '\r' || cfg.delim == 0 {
		return bad(fmt.Errorf("%w: delimiter %q (use an ASCII character other than quote and newline)", ErrOption, cfg.delim))
	}
	delim := byte(cfg.delim)
	if cfg.decimalComma && (delim == ',' || delim == '.' || delim == '-' || delim == '+' || (delim >= '0' && delim <= '9')) {
		return bad(fmt.Errorf("%w: a decimal comma needs a delimiter such as ';', not %q", ErrOption, delim))
	}
	if !cfg.decimalComma && (delim == '.' || delim == '-' || delim == '+' || (delim >= '0' && delim <= '9') || delim == 'e' || delim == 'E') {
		return bad(fmt.Errorf("%w: delimiter %q would be read as part of a number", ErrOption, delim))
	}
	if err := f.CheckFinite(); err != nil {
		return bad(err)
	}
	ix := f.Index()
	names := f.Names()
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	header := make([]string, 0, len(names)+1)
	if ix.Kind != timeseries.NoIndex {
		name := ix.Name
		if name == "" {
			name = "time"
		}
		if f.Lookup(name) >= 0 {
			return bad(fmt.Errorf("%w: the time column and a channel are both called %q", ErrDuplicateColumn, name))
		}
		header = append(header, name)
	}
	header = append(header, names...)
	for i, h := range header {
		if i > 0 {
			line = append(line, delim)
		}
		line = appendText(line, h, delim, len(header) == 1)
	}
	line = append(line, '\n')
	d := f.Channels()
	data := f.Data()
	for t := range f.Rows() {
		if _, err := bw.Write(line); err != nil {
			return bad(err)
		}
		line = line[:0]
		switch ix.Kind {
		case timeseries.TimeIndex:
			line = time.Unix(0, ix.Times[t]).UTC().AppendFormat(line, time.RFC3339Nano)
			line = append(line, delim)
		case timeseries.NumberIndex:
			v := ix.Numbers[t]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return bad(fmt.Errorf("%w: time index value %v at row %d", ErrTime, v, t+1))
			}
			line = appendNumber(line, v, cfg.decimalComma)
			line = append(line, delim)
		}
		for c, v := range data[t*d : (t+1)*d] {
			if c > 0 {
				line = append(line, delim)
			}
			if v == v {
				line = appendNumber(line, v, cfg.decimalComma)
			}
		}
		if len(line) == 0 {
			// A lone empty field would be a blank line, which readers skip.
			line = append(line, '"', '"')
		}
		line = append(line, '\n')
	}
	if _, err := bw.Write(line); err != nil {
		return bad(err)
	}
	if err := bw.Flush(); err != nil {
		return bad(err)
	}
	return nil
}

func appendNumber(b []byte, v float64, decimalComma bool) []byte {
	n := len(b)
	b = strconv.AppendFloat(b, v, 'g', -1, 64)
	if decimalComma {
		if k := bytes.IndexByte(b[n:], '.'); k >= 0 {
			b[n+k] = ','
		}
	}
	return b
}

// appendText quotes s when a reader would otherwise misread it.
func appendText(b []byte, s string, delim byte, alone bool) []byte {
	need := s == "" && alone
	for i := 0; i < len(s) && !need; i++ {
		c := s[i]
		need = c == delim || c == '"' || c == '\n' || c == '\r' || c == ' ' || c == '\t'
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vica-dev/vica/timeseries"
)

type colKind uint8

const (
	kindSkip  colKind = iota
	kindValue         // a channel
	kindTime          // the time column
	kindDate          // the date half of a Date + Time pair
	kindClock         // the time-of-day half
)

type timeKind uint8

const (
	timeStamp  timeKind = iota // a date, maybe with a time of day
	timeUnix                   // Unix seconds
	timeNumber                 // plain numbers
)

// plan is what detection decided: how each field of a record is read. It is
// read-only while parsing.
type plan struct {
	file        string
	names       []string // header, one per field
	kinds       []colKind
	out         []int // channel position of each kindValue field
	ncols       int
	delim, dec  byte
	missing     map[string]struct{}
	hasSentinel bool
	sentinel    float64
	index       timeseries.IndexKind
	tkind       timeKind
	dateFormat  DateFormat
	timeField   int // field of the time (or date) column, for messages
}

// errIncomplete says that a block ends inside a record.
var errIncomplete = errors.New("csvio: incomplete record")

// blockParser parses whole records from a block of bytes into its own
// buffers, which the caller drains after each block.
type blockParser struct {
	*plan
	vals    []float64
	times   []int64
	nums    []float64
	rows    int
	scratch []byte

	// The time of the row being parsed.
	curDate, curClock, curTime int64
	curNum                     float64

	// The time and line of the first and the last row of the block, for the
	// order check across blocks.
	firstLine, lastLine int
}

func (p *blockParser) reset() {
	p.vals, p.times, p.nums = p.vals[:0], p.times[:0], p.nums[:0]
	p.rows = 0
}

func (p *blockParser) errAt(line, field int, err error) *ParseError {
	e := &ParseError{File: p.file, Line: line, Column: field + 1, Err: err}
	if field >= 0 && field < len(p.names) {
		e.ColumnName = p.names[field]
	}
	if field < 0 {
		e.Column = 0
	}
	return e
}

func isSpace(c byte, delim byte) bool { return c == ' ' || (c == '\t' && delim != '\t') }

func (p *plan) trim(s []byte) []byte {
	for len(s) > 0 && isSpace(s[0], p.delim) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1], p.delim) {
		s = s[:len(s)-1]
	}
	return s
}

// field reads one field at b[pos:] and returns its text (unquoted, or
// else trimmed of spaces; valid until the next call), the position of the byte after it
// (a delimiter, a newline or the end) and the line reached. Without eof, a
// quoted field running past the end of b gives errIncomplete.
func (p *blockParser) field(b []byte, pos, line int, eof bool) ([]byte, int, int, error) {
	n, delim := len(b), p.delim
	i := pos
	for i < n && isSpace(b[i], delim) {
		i++
	}
	if i < n && b[i] == '"' {
		startLine := line
		i++
		start := i
		p.scratch = p.scratch[:0]
		escaped := false
		for {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				if !eof {
					return nil, 0, 0, errIncomplete
				}
				return nil, 0, startLine, fmt.Errorf("%w: quoted field not closed before the end of the file (is the file truncated?)", ErrQuote)
			}
			line += bytes.Count(b[i:i+j], []byte{'\n'})
			if i+j+1 < n && b[i+j+1] == '"' {
				p.scratch = append(p.scratch, b[i:i+j+1]...)
				escaped = true
				i += j + 2
				continue
			}
			var s []byte
			if escaped {
				p.scratch = append(p.scratch, b[i:i+j]...)
				s = p.scratch
			} else {
				s = b[start : i+j]
			}
			i += j + 1
			for i < n && isSpace(b[i], delim) {
				i++
			}
			if i < n && b[i] != delim && b[i] != '\n' && (b[i] != '\r' || i+1 >= n || b[i+1] != '\n') {
				return nil, 0, line, fmt.Errorf("%w: %q after a closing quote (a quote inside a quoted field is written \"\")", ErrQuote, b[i])
			}
			return s, i, line, nil
		}
	}
	j := i
	for j < n && b[j] != delim && b[j] != '\n' {
		if b[j] == '"' {
			return nil, 0, line, fmt.Errorf("%w: quote in an unquoted field (quote the whole field and write a quote as \"\")", ErrQuote)
		}
		j++
	}
	s := b[i:j]
	end := j
	if len(s) > 0 && s[len(s)-1] == '\r' && (j == n || b[j] == '\n') {
		s = s[:len(s)-1]
		end = j
	}
	return p.trim(s), end, line, nil
}

// value reads a numeric field.
func (p *plan) value(s []byte) (float64, error) {
	if len(s) == 0 {
		return math.NaN(), nil
	}
	if _, ok := p.missing[string(s)]; ok {
		return math.NaN(), nil
	}
	v, err := parseFloat(s, p.dec)
	switch {
	case err == strconv.ErrRange && math.IsInf(v, 0):
		return 0, fmt.Errorf("parse %s: %w: beyond the float64 range", short(s), ErrInfinite)
	case err == strconv.ErrRange:
		// Underflow: strconv gives the nearest value, zero or subnormal.
	case err != nil:
		hint := "if it marks a missing value, add it with WithMissing; otherwise leave the column out with WithColumns"
		if p.dec == ',' && bytes.IndexByte(s, '.') >= 0 {
			hint = "with a decimal comma, '.' is not accepted (thousands separators are not supported)"
		}
		return 0, fmt.Errorf("parse %s: %w; %s", short(s), ErrNotNumber, hint)
	case math.IsNaN(v):
		return v, nil
	case math.IsInf(v, 0):
		return 0, fmt.Errorf("parse %s: %w; replace it, or declare it missing with WithMissing(%s)", short(s), ErrInfinite, short(s))
	}
	if p.hasSentinel && v == p.sentinel {
		return math.NaN(), nil
	}
	return v, nil
}

// timeValue reads a time field into p.curTime or p.curNum.
func (p *blockParser) timeValue(s []byte) error {
	if len(s) == 0 {
		return fmt.Errorf("%w: missing time value; every row needs one", ErrTime)
	}
	switch p.tkind {
	case timeStamp:
		ns, err := parseTimestamp(s, p.dateFormat)
		if err != nil {
			return fmt.Errorf("%w: %s: %v (expected %s)", ErrTime, short(s), err, p.dateFormat)
		}
		p.curTime = ns
	default:
		v, err := parseFloat(s, p.dec)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s is not a finite number", ErrTime, short(s))
		}
		if p.tkind == timeNumber {
			p.curNum = v
			return nil
		}
		if math.Abs(v) >= math.MaxInt64/1e9 {
			return fmt.Errorf("%w: %s Unix seconds out of range", ErrTime, short(s))
		}
		p.curTime = int64(math.Round(v * 1e9))
	}
	return nil
}

func (p *blockParser) slow(b []byte, pos, line int, eof bool, f int, row []float64) (int, int, error) {
	startLine := line
	s, end, line, err := p.field(b, pos, line, eof)
	if err != nil {
		if err == errIncomplete {
			return 0, 0, err
		}
		return 0, 0, p.errAt(startLine, f, err)
	}
	s = p.trim(s)
	switch p.kinds[f] {
	case kindValue:
		v, err := p.value(s)
		if err != nil {
			return 0, 0, p.errAt(startLine, f, err)
		}
		row[p.out[f]] = v
	case kindTime:
		if err := p.timeValue(s); err != nil {
			return 0, 0, p.errAt(startLine, f, err)
		}
	case kindDate:
		days, n, err := parseDate(s, p.dateFormat)
		if err == nil && n != len(s) {
			err = errNotDate
		}
		if err != nil {
			return 0, 0, p.errAt(startLine, f, fmt.Errorf("%w: %s: %v (expected %s)", ErrTime, short(s), err, p.dateFormat))
		}
		if days > maxDays || days < -maxDays {
			return 0, 0, p.errAt(startLine, f, fmt.Errorf("%w: %s: %v", ErrTime, short(s), errRange))
		}
		p.curDate = days * 86400e9
	case kindClock:
		ns, n, err := parseClock(s, 0)
		if err == nil && n != len(s) {
			err = errNotClock
		}
		if err != nil {
			return 0, 0, p.errAt(startLine, f, fmt.Errorf("%w: %s: %v (expected hh:mm:ss)", ErrTime, short(s), err))
		}
		p.curClock = ns
	}
	return end, line, nil
}

// parse reads the records of b, which starts at a record boundary at
// physical line `line`. Unless eof, b must end with '\n', and a record
// running past the end (a quoted newline) is left for the next call. It
// returns the bytes consumed and the line reached.
func (p *blockParser) parse(b []byte, line int, eof bool) (int, int, error) {
	nf, nc, delim, dec := len(p.kinds), p.ncols, p.delim, p.dec
	kinds, out := p.kinds, p.out
	hasIndex := p.index != timeseries.NoIndex
	pos := 0
	for pos < len(b) {
		if c := b[pos]; c == '\n' {
			pos++
			line++
			continue
		} else if c == '\r' && pos+1 < len(b) && b[pos+1] == '\n' {
			pos += 2
			line++
			continue
		}
		recStart, recLine := pos, line
		base := len(p.vals)
		if base+nc > cap(p.vals) {
			p.vals = append(p.vals[:cap(p.vals)], make([]float64, base+nc-cap(p.vals)+cap(p.vals)/2)...)
		}
		p.vals = p.vals[:base+nc]
		row := p.vals[base : base+nc]
		for f := 0; f < nf; f++ {
			done := false
			if kinds[f] == kindValue {
				if v, end, ok := scanFloat(b, pos, delim, dec); ok {
					if p.hasSentinel && v == p.sentinel {
						v = math.NaN()
					}
					row[out[f]] = v
					pos = end
					done = true
				}
			}
			if !done {
				var err error
				pos, line, err = p.slow(b, pos, line, eof, f, row)
				if err == errIncomplete {
					p.vals = p.vals[:base]
					return recStart, recLine, nil
				}
				if err != nil {
					return 0, 0, err
				}
			}
			if f < nf-1 {
				if pos < len(b) && b[pos] == delim {
					pos++
					continue
				}
				return 0, 0, p.errAt(line, f+1, fmt.Errorf("%w: the line has %d fields, the header %d; check the delimiter (%q) and quoting", ErrFieldCount, f+1, nf, delim))
			}
		}
		if pos < len(b) {
			switch {
			case b[pos] == '\n':
				pos++
			case b[pos] == '\r' && pos+1 < len(b) && b[pos+1] == '\n':
				pos += 2
			default:
				extra := 1
				for j := pos + 1; j < len(b) && b[j] != '\n'; j++ {
					if b[j] == delim {
						extra++
					}
				}
				return 0, 0, p.errAt(line, nf, fmt.Errorf("%w: the line has %d fields, the header %d; check the delimiter (%q) and quoting", ErrFieldCount, nf+extra, nf, delim))
			}
		}
		line++
		if hasIndex {
			if err := p.addTime(recLine); err != nil {
				return 0, 0, err
			}
		}
		p.rows++
	}
	return pos, line, nil
}

func (p *blockParser) addTime(line int) error {
	if p.kinds[p.timeField] == kindDate {
		t, over := addNs(p.curDate, p.curClock)
		if over {
			return p.errAt(line, p.timeField, fmt.Errorf("%w: %v", ErrTime, errRange))
		}
		p.curTime = t
	}
	if p.index == timeseries.TimeIndex {
		if n := len(p.times); n > 0 && p.curTime <= p.times[n-1] {
			return p.orderError(line, p.lastLine, formatTime(p.curTime), formatTime(p.times[n-1]))
		}
		p.times = append(p.times, p.curTime)
	} else {
		if n := len(p.nums); n > 0 && !(p.curNum > p.nums[n-1]) {
			return p.orderError(line, p.lastLine, fmtNum(p.curNum), fmtNum(p.nums[n-1]))
		}
		p.nums = append(p.nums, p.curNum)
	}
	if p.rows == 0 {
		p.firstLine = line
	}
	p.lastLine = line
	return nil
}

func (p *plan) orderError(line, prevLine int, cur, prev string) *ParseError {
	what := "goes back"
	if cur == prev {
		what = "repeats"
	}
	bp := blockParser{plan: p}
	return bp.errAt(line, p.timeField, fmt.Errorf("%w: time %s %s (line %d has %s); sort the file by time and remove duplicated rows",
		ErrTimeOrder, cur, what, prevLine, prev))
}

func formatTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
func fmtNum(v float64) string    { return strconv.FormatFloat(v, 'g', -1, 64) }

// short quotes a value for a message, cut to a readable length.
func short(s []byte) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(string(s[:max])) + "..."
	}
	return strconv.Quote(string(s))
}

package csvio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/vica-dev/vica/timeseries"
)

// Info describes what Read found and decided.
type Info struct {
	// File is the name given to Read, or the path given to ReadFile.
	File string
	// Columns are the channels read, in the order of the frame.
	Columns []string
	// Skipped are the columns not read: non-numeric ones under
	// SkipNonNumeric, and those left out by WithColumns.
	Skipped []string
	// TimeColumns is the time column, or the date and time-of-day columns,
	// or empty when the frame has no time index.
	TimeColumns []string
	// Delimiter is the field delimiter used.
	Delimiter rune
	// DecimalComma says whether numbers were read with a decimal comma.
	DecimalComma bool
	// DateFormat is the date format of a timestamp column (DateAuto if none).
	DateFormat DateFormat
	// Rows is the number of data rows read.
	Rows int
	// Missing counts the missing values of each channel.
	Missing []int
	// Warnings are things the caller may want to tell the user: skipped
	// non-numeric columns, unnamed, all-missing or constant columns.
	Warnings []string
}

const (
	blockSize     = 1 << 20
	maxRecord     = 64 << 20 // longest record accepted (a guard against an unclosed quote)
	sampleRecords = 10000    // records looked at for detection
)

// ReadFile reads the CSV file at path; see [Read].
func ReadFile(path string, opts ...Option) (*timeseries.Frame, *Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &ParseError{File: path, Err: err}
	}
	defer f.Close()
	return Read(f, path, opts...)
}

// Read reads a CSV stream with a header row into a frame. name is used in
// error messages. Every error is a *[ParseError].
func Read(r io.Reader, name string, opts ...Option) (*timeseries.Frame, *Info, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, nil, &ParseError{File: name, Err: err}
	}
	rd := reader{r: r, file: name, cfg: &cfg}
	return rd.read()
}

type reader struct {
	r    io.Reader
	file string
	cfg  *config
	buf  []byte
	n    int // bytes in buf
	eof  bool
}

// fill reads until buf is full or the input ends.
func (rd *reader) fill() error {
	for rd.n < len(rd.buf) && !rd.eof {
		k, err := rd.r.Read(rd.buf[rd.n:])
		rd.n += k
		if err == io.EOF {
			rd.eof = true
		} else if err != nil {
			return &ParseError{File: rd.file, Err: err}
		}
	}
	return nil
}

// more moves the unread bytes from pos to the front, growing the buffer if
// they fill it, and reads more.
func (rd *reader) more(pos int) error {
	tail := rd.n - pos
	if tail >= len(rd.buf)/2 {
		if len(rd.buf) >= maxRecord {
			return &ParseError{File: rd.file, Err: fmt.Errorf("%w: no end of record in %d MB (an unclosed quote?)", ErrLongRecord, maxRecord>>20)}
		}
		nb := make([]byte, 2*len(rd.buf))
		copy(nb, rd.buf[pos:rd.n])
		rd.buf = nb
	} else {
		copy(rd.buf, rd.buf[pos:rd.n])
	}
	rd.n = tail
	return rd.fill()
}

func sizeHint(r io.Reader) int64 {
	switch v := r.(type) {
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := v.Seek(0, io.SeekCurrent); err == nil {
				return st.Size() - off
			}
		}
	case interface{ Len() int }:
		return int64(v.Len())
	}
	return -1
}

func (rd *reader) read() (*timeseries.Frame, *Info, error) {
	cfg := rd.cfg
	hint := sizeHint(rd.r)
	rd.buf = make([]byte, blockSize)
	if err := rd.fill(); err != nil {
		return nil, nil, err
	}
	pos, line := 0, 1
	if bytes.HasPrefix(rd.buf[:rd.n], []byte("\xef\xbb\xbf")) {
		pos = 3
	}
	// Skip blank lines before the header, and make sure the header line is
	// in the buffer.
	for {
		for pos < rd.n && (rd.buf[pos] == '\n' || rd.buf[pos] == '\r') {
			if rd.buf[pos] == '\n' {
				line++
			}
			pos++
		}
		if bytes.IndexByte(rd.buf[pos:rd.n], '\n') >= 0 || rd.eof {
			break
		}
		if err := rd.more(pos); err != nil {
			return nil, nil, err
		}
		pos = 0
	}
	if pos == rd.n {
		return nil, nil, &ParseError{File: rd.file, Err: fmt.Errorf("%w: no header line", ErrEmptyFile)}
	}
	headerLine := line
	first := rd.buf[pos:rd.n]
	if k := bytes.IndexByte(first, '\n'); k >= 0 {
		first = first[:k]
	}
	delim := byte(cfg.delim)
	if delim == 0 {
		delim = detectDelimiter(first, rd.buf[pos+len(first):rd.n])
	}
	pl := &plan{file: rd.file, delim: delim, dec: '.'}
	bp := &blockParser{plan: pl}

	// The header.
	var names []string
	for {
		s, end, l, err := bp.field(rd.buf[:rd.n], pos, line, rd.eof)
		if err == errIncomplete {
			if err := rd.more(0); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err != nil {
			return nil, nil, bp.errAt(line, len(names), err)
		}
		names = append(names, string(s))
		pos, line = end, l
		if pos < rd.n && rd.buf[pos] == delim {
			pos++
			continue
		}
		if pos < rd.n && rd.buf[pos] == '\r' {
			pos++
		}
		if pos < rd.n && rd.buf[pos] == '\n' {
			pos++
			line++
		}
		break
	}
	var warnings []string
	seen := make(map[string]int, len(names))
	for i, nm := range names {
		if nm == "" {
			nm = fmt.Sprintf("column %d", i+1)
			names[i] = nm
			warnings = append(warnings, fmt.Sprintf("column %d has no name; it is called %q", i+1, nm))
		}
		if j, ok := seen[nm]; ok {
			return nil, nil, &ParseError{File: rd.file, Line: headerLine, Column: i + 1, ColumnName: nm,
				Err: fmt.Errorf("%w: %q is also column %d; rename one of them", ErrDuplicateColumn, nm, j+1)}
		}
		seen[nm] = i
	}
	pl.names = names

	// A sample of records for detection: complete records in the buffer.
	if !rd.eof && rd.n-pos < blockSize/2 {
		// Keep the sample big enough when the header was long.
		copy(rd.buf, rd.buf[pos:rd.n])
		rd.n -= pos
		pos = 0
		if err := rd.fill(); err != nil {
			return nil, nil, err
		}
	}
	sampleEnd := rd.n
	if !rd.eof {
		sampleEnd = pos + bytes.LastIndexByte(rd.buf[pos:rd.n], '\n') + 1
	}
	sample, err := bp.sample(rd.buf[pos:sampleEnd], line, rd.eof)
	if err != nil {
		return nil, nil, err
	}
	if len(sample.recs) == 0 && rd.eof {
		return nil, nil, &ParseError{File: rd.file, Line: headerLine, Err: fmt.Errorf("%w: the file has only a header", ErrNoRows)}
	}
	w, err := configure(pl, cfg, sample)
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, w...)

	// The body.
	var vals store[float64]
	var times store[int64]
	var nums store[float64]
	// A first chunk sized from the bytes per row of the first block, so
	// that the data is allocated once; untouched capacity costs no memory.
	firstBlock := true
	var prev struct {
		t    int64
		v    float64
		line int
		ok   bool
	}
	for {
		b := rd.buf[pos:rd.n]
		if !rd.eof {
			b = b[:bytes.LastIndexByte(b, '\n')+1]
		}
		bp.reset()
		used, l, err := bp.parse(b, line, rd.eof)
		if err != nil {
			return nil, nil, err
		}
		if firstBlock && bp.rows > 0 {
			firstBlock = false
			est := bp.rows + 16
			if hint > 0 && !rd.eof && used > 0 {
				est = int(float64(hint)/float64(used)*float64(bp.rows)*1.05) + 16
			}
			vals.next = est * pl.ncols
			times.next, nums.next = est, est
		}
		if bp.rows > 0 && pl.index != timeseries.NoIndex && prev.ok {
			if pl.index == timeseries.TimeIndex && bp.times[0] <= prev.t {
				return nil, nil, pl.orderError(bp.firstLine, prev.line, formatTime(bp.times[0]), formatTime(prev.t))
			}
			if pl.index == timeseries.NumberIndex && !(bp.nums[0] > prev.v) {
				return nil, nil, pl.orderError(bp.firstLine, prev.line, fmtNum(bp.nums[0]), fmtNum(prev.v))
			}
		}
		if bp.rows > 0 {
			prev.ok, prev.line = true, bp.lastLine
			if pl.index == timeseries.TimeIndex {
				prev.t = bp.times[len(bp.times)-1]
			} else if pl.index == timeseries.NumberIndex {
				prev.v = bp.nums[len(bp.nums)-1]
			}
		}
		vals.append(bp.vals)
		times.append(bp.times)
		nums.append(bp.nums)
		pos += used
		line = l
		if rd.eof {
			break
		}
		if err := rd.more(pos); err != nil {
			return nil, nil, err
		}
		pos = 0
	}
	rows := times.n
	if pl.index != timeseries.TimeIndex {
		rows = nums.n
	}
	if pl.index == timeseries.NoIndex {
		rows = vals.n / pl.ncols
	}
	if rows == 0 {
		return nil, nil, &ParseError{File: rd.file, Line: headerLine, Err: fmt.Errorf("%w: the file has only a header", ErrNoRows)}
	}
	rd.buf = nil

	info := &Info{File: rd.file, Delimiter: rune(pl.delim), DecimalComma: pl.dec == ',', Rows: rows}
	chNames := make([]string, pl.ncols)
	var timeCols []string
	for f, k := range pl.kinds {
		switch k {
		case kindValue:
			chNames[pl.out[f]] = names[f]
		case kindSkip:
			info.Skipped = append(info.Skipped, names[f])
		case kindTime, kindDate, kindClock:
			timeCols = append(timeCols, names[f])
		}
	}
	info.Columns = chNames
	info.TimeColumns = timeCols
	var idx *timeseries.Index
	switch pl.index {
	case timeseries.TimeIndex:
		idx = &timeseries.Index{Name: strings.Join(timeCols, " "), Kind: timeseries.TimeIndex, Times: times.slice()}
		if pl.tkind == timeStamp {
			info.DateFormat = pl.dateFormat
		}
	case timeseries.NumberIndex:
		idx = &timeseries.Index{Name: timeCols[0], Kind: timeseries.NumberIndex, Numbers: nums.slice()}
	}
	data := vals.slice()
	info.Missing, warnings = summarize(data, chNames, rows, warnings)
	info.Warnings = warnings
	fr, err := timeseries.New(chNames, data, idx)
	if err != nil {
		return nil, nil, &ParseError{File: rd.file, Err: err}
	}
	return fr, info, nil
}

// summarize counts missing values and warns about all-missing and constant
// channels.
func summarize(data []float64, names []string, rows int, warnings []string) ([]int, []string) {
	d := len(names)
	missing := make([]int, d)
	firstVal := make([]float64, d)
	constant := make([]bool, d)
	for c := range d {
		firstVal[c] = math.NaN()
		constant[c] = true
	}
	for t := range rows {
		row := data[t*d : (t+1)*d]
		for c, v := range row {
			switch {
			case v != v:
				missing[c]++
			case firstVal[c] != firstVal[c]:
				firstVal[c] = v
			case v != firstVal[c]:
				constant[c] = false
			}
		}
	}
	for c, nm := range names {
		switch {
		case missing[c] == rows:
			warnings = append(warnings, fmt.Sprintf("column %q has no values (all %d missing)", nm, rows))
		case constant[c] && rows > 1:
			warnings = append(warnings, fmt.Sprintf("column %q is constant (%v)", nm, firstVal[c]))
		}
	}
	return missing, warnings
}

// store collects values in chunks, so that growing never copies what was
// read; slice joins them at the end (no copy when one chunk sufficed).
type store[T any] struct {
	chunks [][]T
	cur    []T
	n      int
	next   int // size of the next chunk
}

func (s *store[T]) append(v []T) {
	for len(v) > 0 {
		if len(s.cur) == cap(s.cur) {
			if s.cur != nil {
				s.chunks = append(s.chunks, s.cur)
			}
			size := max(s.next, s.n/4, len(v), 1<<14)
			s.next = 0
			s.cur = make([]T, 0, size)
		}
		k := min(len(v), cap(s.cur)-len(s.cur))
		s.cur = append(s.cur, v[:k]...)
		v = v[k:]
		s.n += k
	}
}

func (s *store[T]) slice() []T {
	if len(s.chunks) == 0 {
		if s.cur == nil {
			return []T{}
		}
		return s.cur
	}
	out := make([]T, 0, s.n)
	for i, c := range s.chunks {
		out = append(out, c...)
		s.chunks[i] = nil
	}
	out = append(out, s.cur...)
	s.cur = nil
	return out
}

// detectDelimiter picks among ',', ';' and tab the one most frequent in the
// header line outside quotes; on a tie, the one whose count the next line
// repeats; ',' when the header holds none.
func detectDelimiter(header, rest []byte) byte {
	count := func(line []byte, d byte) int {
		n, q := 0, false
		for _, c := range line {
			if c == '"' {
				q = !q
			} else if c == d && !q {
				n++
			}
		}
		return n
	}
	next := rest
	if len(next) > 0 && next[0] == '\n' {
		next = next[1:]
	}
	if k := bytes.IndexByte(next, '\n'); k >= 0 {
		next = next[:k]
	}
	best, bestN, bestAgree := byte(','), 0, false
	for _, d := range []byte{',', ';', '\t'} {
		n := count(header, d)
		agree := count(next, d) == n
		if n > bestN || (n == bestN && n > 0 && agree && !bestAgree) {
			best, bestN, bestAgree = d, n, agree
		}
	}
	return best
}

type sampleData struct {
	recs  [][]string
	lines []int
}

// sample tokenizes up to sampleRecords records of b, the first complete
// records after the header.
func (p *blockParser) sample(b []byte, line int, eof bool) (*sampleData, error) {
	s := &sampleData{}
	pos := 0
	for pos < len(b) && len(s.recs) < sampleRecords {
		if b[pos] == '\n' {
			pos++
			line++
			continue
		}
		if b[pos] == '\r' && pos+1 < len(b) && b[pos+1] == '\n' {
			pos += 2
			line++
			continue
		}
		recLine := line
		var rec []string
		for {
			v, end, l, err := p.field(b, pos, line, eof)
			if err == errIncomplete {
				return s, nil
			}
			if err != nil {
				return nil, p.errAt(line, len(rec), err)
			}
			rec = append(rec, string(p.trim(v)))
			pos, line = end, l
			if pos < len(b) && b[pos] == p.delim {
				pos++
				continue
			}
			if pos < len(b) && b[pos] == '\r' {
				pos++
			}
			if pos < len(b) && b[pos] == '\n' {
				pos++
				line++
			}
			break
		}
		if len(rec) != len(p.names) {
			// Reported with its exact place by the parser; the sample ends here.
			return s, nil
		}
		s.recs = append(s.recs, rec)
		s.lines = append(s.lines, recLine)
	}
	return s, nil
}

// configure completes the plan from the options and the sample, and returns
// warnings.
func configure(pl *plan, cfg *config, s *sampleData) ([]string, error) {
	names := pl.names
	bad := func(field, line int, err error) *ParseError {
		e := &ParseError{File: pl.file, Line: line, Column: field + 1, Err: err}
		if field >= 0 {
			e.ColumnName = names[field]
		} else {
			e.Column = 0
		}
		return e
	}
	find := func(name string) (int, error) {
		if i := slices.Index(names, name); i >= 0 {
			return i, nil
		}
		return -1, bad(-1, 0, fmt.Errorf("%w %q; the columns are %s", ErrUnknownColumn, name, quoteList(names)))
	}

	// Decimal separator.
	switch {
	case cfg.decimalComma == 1:
		if pl.delim == ',' {
			return nil, bad(-1, 0, fmt.Errorf("%w: a decimal comma needs another delimiter than ','", ErrOption))
		}
		pl.dec = ','
	case cfg.decimalComma == 0 && pl.delim != ',':
		if sampleHasDecimalComma(s) {
			pl.dec = ','
		}
	}
	tokens := DefaultMissing
	if cfg.missingSet {
		tokens = cfg.missing
	}
	pl.missing = make(map[string]struct{}, len(tokens))
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			pl.missing[t] = struct{}{}
		}
	}
	pl.hasSentinel, pl.sentinel = cfg.hasSentinel, cfg.sentinel

	// The time column.
	pl.kinds = make([]colKind, len(names))
	pl.out = make([]int, len(names))
	pl.timeField = -1
	if !cfg.noTime {
		tf, cf := -1, -1
		switch {
		case cfg.timeCol != "":
			var err error
			if tf, err = find(cfg.timeCol); err != nil {
				return nil, err
			}
			if cfg.clockCol != "" {
				if cf, err = find(cfg.clockCol); err != nil {
					return nil, err
				}
			}
		case isTimeName(names[0]) || looksLikeDate(column(s, 0)):
			tf = 0
		}
		if tf >= 0 {
			if err := pl.timeColumn(cfg, s, tf, cf, bad); err != nil {
				return nil, err
			}
		}
	}

	// The channels.
	var warnings []string
	selected := make([]bool, len(names))
	var order []int
	if len(cfg.columns) > 0 {
		for _, c := range cfg.columns {
			i, err := find(c)
			if err != nil {
				return nil, err
			}
			if pl.kinds[i] != kindSkip {
				return nil, bad(i, 0, fmt.Errorf("%w: %q is the time column and cannot also be a channel", ErrOption, c))
			}
			if selected[i] {
				return nil, bad(i, 0, fmt.Errorf("%w: column %q selected twice", ErrOption, c))
			}
			selected[i] = true
			order = append(order, i)
		}
	} else {
		for i := range names {
			if pl.kinds[i] == kindSkip {
				selected[i] = true
				order = append(order, i)
			}
		}
	}
	type offence struct {
		field, line int
		value       string
	}
	var nonNum []offence
	for _, i := range order {
		for r, rec := range s.recs {
			if _, err := pl.value([]byte(rec[i])); errors.Is(err, ErrNotNumber) {
				nonNum = append(nonNum, offence{i, s.lines[r], rec[i]})
				break
			}
		}
	}
	skip := make(map[int]bool)
	if len(nonNum) > 0 {
		var cols []string
		for _, o := range nonNum {
			cols = append(cols, names[o.field])
		}
		if cfg.nonNumeric == RefuseNonNumeric || len(cfg.columns) > 0 {
			o := nonNum[0]
			v := short([]byte(o.value))
			if pl.dec == ',' && strings.Contains(o.value, ".") {
				return nil, bad(o.field, o.line, fmt.Errorf("parse %s: %w; with a decimal comma, '.' is not accepted (thousands separators are not supported)", v, ErrNotNumber))
			}
			return nil, bad(o.field, o.line, fmt.Errorf("parse %s: %w; non-numeric columns: %s; leave them out with WithColumns or WithNonNumeric(SkipNonNumeric), or if %s marks a missing value, add it with WithMissing",
				v, ErrNotNumber, quoteList(cols), v))
		}
		for _, o := range nonNum {
			skip[o.field] = true
		}
		warnings = append(warnings, "skipped non-numeric columns: "+quoteList(cols))
	}
	for _, i := range order {
		if skip[i] {
			continue
		}
		pl.kinds[i] = kindValue
		pl.out[i] = pl.ncols
		pl.ncols++
	}
	if pl.ncols == 0 {
		return nil, bad(-1, 0, fmt.Errorf("%w among %s", ErrNoColumns, quoteList(names)))
	}
	return warnings, nil
}

var timeNames = []string{"time", "timestamp", "date", "datetime", "time_s", "t"}

func isTimeName(s string) bool { return slices.Contains(timeNames, strings.ToLower(s)) }

func column(s *sampleData, i int) []string {
	var out []string
	for _, r := range s.recs {
		if r[i] != "" {
			out = append(out, r[i])
		}
	}
	return out
}

func looksLikeDate(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	f, _, _ := dateShape([]byte(vals[0]))
	return f != DateAuto
}

func isClock(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	_, n, err := parseClock([]byte(vals[0]), 0)
	return err == nil && n == len(vals[0])
}

// timeColumn sets the plan for time field tf (and time-of-day field cf, or
// -1 to look at the next column).
func (pl *plan) timeColumn(cfg *config, s *sampleData, tf, cf int, bad func(int, int, error) *ParseError) error {
	vals := column(s, tf)
	pl.timeField = tf
	if len(vals) == 0 {
		return bad(tf, 0, fmt.Errorf("%w: time column %q has no values in the first rows; name the time column with WithTimeColumn or use WithNoTimeColumn", ErrTime, pl.names[tf]))
	}
	if looksLikeDate(vals) {
		dateOnly := true
		for _, v := range vals {
			if strings.ContainsAny(v, " T") {
				dateOnly = false
				break
			}
		}
		if cf < 0 && cfg.clockCol == "" && dateOnly && tf+1 < len(pl.names) && isClock(column(s, tf+1)) {
			cf = tf + 1
		}
		f, err := dateFormat(cfg.dateFormat, vals)
		if err != nil {
			return bad(tf, 0, err)
		}
		pl.index, pl.tkind, pl.dateFormat = timeseries.TimeIndex, timeStamp, f
		pl.kinds[tf] = kindTime
		if cf >= 0 {
			pl.kinds[tf], pl.kinds[cf] = kindDate, kindClock
		}
		return nil
	}
	if cf >= 0 {
		return bad(tf, 0, fmt.Errorf("%w: date column %q holds %s, not a date", ErrTime, pl.names[tf], short([]byte(vals[0]))))
	}
	whole := true
	for i, v := range vals {
		x, err := parseFloat([]byte(v), pl.dec)
		if err != nil {
			return bad(tf, s.lines[i], fmt.Errorf("%w: time column %q holds %s, neither a date nor a number; name the time column with WithTimeColumn or use WithNoTimeColumn", ErrTime, pl.names[tf], short([]byte(v))))
		}
		if x != math.Trunc(x) {
			whole = false
		}
	}
	pl.kinds[tf] = kindTime
	lower := strings.ToLower(pl.names[tf])
	if whole && (lower == "timestamp" || strings.Contains(lower, "unix") || strings.Contains(lower, "epoch")) {
		pl.index, pl.tkind = timeseries.TimeIndex, timeUnix
	} else {
		pl.index, pl.tkind = timeseries.NumberIndex, timeNumber
	}
	return nil
}

// dateFormat decides between ISO, day-first and month-first dates.
func dateFormat(set DateFormat, vals []string) (DateFormat, error) {
	shape, _, _ := dateShape([]byte(vals[0]))
	if shape == DateISO {
		if set == DateAuto {
			return DateISO, nil
		}
		return set, nil
	}
	if set != DateAuto {
		return set, nil
	}
	dayFirst, monthFirst := "", ""
	for _, v := range vals {
		f, a, b := dateShape([]byte(v))
		if f == DateAuto {
			continue
		}
		if a > 12 && dayFirst == "" {
			dayFirst = v
		}
		if b > 12 && monthFirst == "" {
			monthFirst = v
		}
	}
	switch {
	case dayFirst != "" && monthFirst != "":
		return 0, fmt.Errorf("%w: %s reads only day first and %s only month first", ErrAmbiguousDate, short([]byte(dayFirst)), short([]byte(monthFirst)))
	case dayFirst != "":
		return DateDMY, nil
	case monthFirst != "":
		return DateMDY, nil
	}
	return 0, fmt.Errorf("%w: no day above 12 in the first %d rows tells dd/mm/yyyy from mm/dd/yyyy (%s); set it with WithDateFormat", ErrAmbiguousDate, len(vals), short([]byte(vals[0])))
}

// sampleHasDecimalComma reports whether the sample holds numbers such as
// 1,5 (digits, one comma, digits).
func sampleHasDecimalComma(s *sampleData) bool {
	for r, rec := range s.recs {
		if r >= 200 {
			break
		}
		for _, v := range rec {
			v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
			k := strings.IndexByte(v, ',')
			if k > 0 && k < len(v)-1 && allDigits(v[:k]) && allDigits(v[k+1:]) {
				return true
			}
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

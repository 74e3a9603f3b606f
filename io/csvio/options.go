package csvio

import (
	"fmt"
	"math"
)

// DateFormat says how dates without a year first are read.
type DateFormat int

const (
	// DateAuto detects the format: year-first dates are ISO 8601
	// (yyyy-mm-dd); for dd/mm/yyyy versus mm/dd/yyyy the sample must contain
	// a day above 12, otherwise reading fails with [ErrAmbiguousDate].
	DateAuto DateFormat = iota
	// DateISO is yyyy-mm-dd.
	DateISO
	// DateDMY is dd/mm/yyyy (also with '.' or '-' between the parts).
	DateDMY
	// DateMDY is mm/dd/yyyy (also with '.' or '-' between the parts).
	DateMDY
)

func (f DateFormat) String() string {
	switch f {
	case DateISO:
		return "yyyy-mm-dd"
	case DateDMY:
		return "dd/mm/yyyy"
	case DateMDY:
		return "mm/dd/yyyy"
	}
	return "auto"
}

// NonNumeric is the policy for columns whose values are not numbers.
type NonNumeric int

const (
	// RefuseNonNumeric (the default) makes Read fail with an error naming
	// the non-numeric columns and the first offending value.
	RefuseNonNumeric NonNumeric = iota
	// SkipNonNumeric leaves such columns out; Info.Warnings lists them.
	SkipNonNumeric
)

// DefaultMissing are the tokens read as missing values unless WithMissing
// says otherwise. An empty field is always missing.
var DefaultMissing = []string{"NA", "NaN", "nan", "null", "NULL", "N/A"}

// Option sets how [Read] reads a file.
type Option func(*config)

type config struct {
	delim        rune // 0: detect
	decimalComma int  // 0: detect, 1: yes, -1: no
	missing      []string
	missingSet   bool
	sentinel     float64
	hasSentinel  bool
	timeCol      string
	clockCol     string
	noTime       bool
	dateFormat   DateFormat
	nonNumeric   NonNumeric
	columns      []string
}

// WithDelimiter sets the field delimiter. By default it is detected among
// ',', ';' and tab from the header line and the first data lines.
func WithDelimiter(r rune) Option { return func(c *config) { c.delim = r } }

// WithDecimalComma says whether numbers are written with a decimal comma
// (1,5). By default it is detected: only with the ';' or tab delimiter, when
// the first lines hold numbers such as 1,5. Thousands separators are not
// supported: with a decimal comma, a number holding '.' is an error.
func WithDecimalComma(on bool) Option {
	return func(c *config) {
		c.decimalComma = -1
		if on {
			c.decimalComma = 1
		}
	}
}

// WithMissing replaces the tokens read as missing values (by default
// [DefaultMissing]). An empty field is always missing. Tokens are compared
// exactly, after trimming spaces.
func WithMissing(tokens ...string) Option {
	return func(c *config) { c.missing = append([]string(nil), tokens...); c.missingSet = true }
}

// WithSentinel reads the number v (such as -200) as a missing value,
// whatever its spelling (-200, -200.0).
func WithSentinel(v float64) Option {
	return func(c *config) { c.sentinel = v; c.hasSentinel = true }
}

// WithTimeColumn names the time column. See the package documentation for
// how its values are read and how a time column is detected without it.
func WithTimeColumn(name string) Option {
	return func(c *config) { c.timeCol = name; c.clockCol = "" }
}

// WithDateTimeColumns names a date column and a time-of-day column that
// together make the time index, as Date and Time in the UCI air quality
// data.
func WithDateTimeColumns(date, clock string) Option {
	return func(c *config) { c.timeCol = date; c.clockCol = clock }
}

// WithNoTimeColumn says that the file has no time column: every selected
// column is a channel and the frame has no index.
func WithNoTimeColumn() Option { return func(c *config) { c.noTime = true } }

// WithDateFormat sets the date format instead of detecting it.
func WithDateFormat(f DateFormat) Option { return func(c *config) { c.dateFormat = f } }

// WithNonNumeric sets the policy for non-numeric columns (by default
// [RefuseNonNumeric]).
func WithNonNumeric(p NonNumeric) Option { return func(c *config) { c.nonNumeric = p } }

// WithColumns reads only the named columns (and the time column), in the
// order given.
func WithColumns(names ...string) Option {
	return func(c *config) { c.columns = append([]string(nil), names...) }
}

func (c *config) check() error {
	if c.delim != 0 && (c.delim >= 0x80 || c.delim == '"' || c.delim == '\n' || c.delim == '\r') {
		return fmt.Errorf("%w: delimiter %q (use an ASCII character other than quote and newline)", ErrOption, c.delim)
	}
	if c.hasSentinel && (math.IsNaN(c.sentinel) || math.IsInf(c.sentinel, 0)) {
		return fmt.Errorf("%w: sentinel %v is not a finite number", ErrOption, c.sentinel)
	}
	if c.dateFormat < DateAuto || c.dateFormat > DateMDY {
		return fmt.Errorf("%w: date format %d", ErrOption, int(c.dateFormat))
	}
	if c.nonNumeric != RefuseNonNumeric && c.nonNumeric != SkipNonNumeric {
		return fmt.Errorf("%w: non-numeric policy %d", ErrOption, int(c.nonNumeric))
	}
	return nil
}

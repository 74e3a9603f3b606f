package csvio

import (
	"errors"
	"math"
)

// Timestamps are parsed by hand: time.Parse costs more than the rest of a
// row, and the layouts met in data files are few.

var (
	errNotDate  = errors.New("not a date")
	errNotClock = errors.New("not a time of day")
	errRange    = errors.New("date or time out of range")
	errZone     = errors.New("bad time zone offset")
)

// digits reads between min and max decimal digits at s[i:].
func digits(s []byte, i, min, max int) (v, end int, ok bool) {
	j := i
	for j < len(s) && j-i < max && s[j]-'0' <= 9 {
		v = v*10 + int(s[j]-'0')
		j++
	}
	return v, j, j-i >= min
}

// dateShape tells the layout of a date at the start of s: ISO (year
// first) or slash-like (year last), with the two leading numbers for
// day/month detection. It returns DateAuto when s does not start with a date.
func dateShape(s []byte) (f DateFormat, a, b int) {
	if y, i, ok := digits(s, 0, 4, 4); ok && i < len(s) && s[i] == '-' {
		_ = y
		return DateISO, 0, 0
	}
	a, i, ok := digits(s, 0, 1, 2)
	if !ok || i >= len(s) || (s[i] != '/' && s[i] != '.' && s[i] != '-') {
		return DateAuto, 0, 0
	}
	sep := s[i]
	b, i, ok = digits(s, i+1, 1, 2)
	if !ok || i >= len(s) || s[i] != sep {
		return DateAuto, 0, 0
	}
	if _, i, ok = digits(s, i+1, 4, 4); !ok || (i < len(s) && s[i] != ' ' && s[i] != 'T') {
		return DateAuto, 0, 0
	}
	return DateDMY, a, b // DMY or MDY: the caller decides from a and b
}

// parseDate reads a date in format f at the start of s and returns the days
// since 1970-01-01 and the position after it.
func parseDate(s []byte, f DateFormat) (days int64, end int, err error) {
	var y, m, d, i int
	var ok bool
	if f == DateISO {
		if y, i, ok = digits(s, 0, 4, 4); !ok || i >= len(s) || s[i] != '-' {
			return 0, 0, errNotDate
		}
		if m, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != '-' {
			return 0, 0, errNotDate
		}
		if d, i, ok = digits(s, i+1, 1, 2); !ok {
			return 0, 0, errNotDate
		}
	} else {
		var a, b int
		if a, i, ok = digits(s, 0, 1, 2); !ok || i >= len(s) || (s[i] != '/' && s[i] != '.' && s[i] != '-') {
			return 0, 0, errNotDate
		}
		sep := s[i]
		if b, i, ok = digits(s, i+1, 1, 2); !ok || i >= len(s) || s[i] != sep {
			return 0, 0, errNotDate
		}
		if y, i, ok = digits(s, i+1, 4, 4); !ok {
			return 0, 0, errNotDate
		}
		d, m = a, b
		if f == DateMDY {
			d, m = b, a
		}
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, errRange
	}
	return daysFromCivil(y, m, d), i, nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseClock reads hh:mm[:ss[.fffffffff]] (or with '.' between the parts,
// as hh.mm.ss) at s[i:] and returns nanoseconds since midnight.
func parseClock(s []byte, i int) (ns int64, end int, err error) {
	h, i, ok := digits(s, i, 1, 2)
	if !ok || i >= len(s) || (s[i] != ':' && s[i] != '.') {
		return 0, 0, errNotClock
	}
	sep := s[i]
	m, i, ok := digits(s, i+1, 2, 2)
	if !ok {
		return 0, 0, errNotClock
	}
	sec := 0
	var frac int64
	if i < len(s) && s[i] == sep {
		if sec, i, ok = digits(s, i+1, 2, 2); !ok {
			return 0, 0, errNotClock
		}
		if i < len(s) && (s[i] == '.' || s[i] == ',') && sep == ':' {
			j := i + 1
			scale := int64(1e8)
			for j < len(s) && s[j]-'0' <= 9 {
				frac += int64(s[j]-'0') * scale
				scale /= 10
				j++
			}
			if j == i+1 {
				return 0, 0, errNotClock
			}
			i = j
		}
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, 0, errRange
	}
	return (int64(h)*3600+int64(m)*60+int64(sec))*1e9 + frac, i, nil
}

// parseZone reads Z, +hh, +hhmm or +hh:mm at s[i:] and returns the offset
// east of UTC in seconds.
func parseZone(s []byte, i int) (off int64, end int, err error) {
	if i >= len(s) {
		return 0, i, nil
	}
	if s[i] == 'Z' || s[i] == 'z' {
		return 0, i + 1, nil
	}
	if s[i] != '+' && s[i] != '-' {
		return 0, i, errZone
	}
	sign := int64(1)
	if s[i] == '-' {
		sign = -1
	}
	h, j, ok := digits(s, i+1, 2, 2)
	if !ok {
		return 0, i, errZone
	}
	m := 0
	if j < len(s) && s[j] == ':' {
		j++
	}
	if j < len(s) {
		if m, j, ok = digits(s, j, 2, 2); !ok {
			return 0, i, errZone
		}
	}
	if h > 23 || m > 59 {
		return 0, i, errZone
	}
	return sign * int64(h*3600+m*60), j, nil
}

// maxDays keeps the midnight of a day in Unix nanoseconds inside int64
// (1677-09-22 to 2262-04-11).
const maxDays = math.MaxInt64 / 86400_000_000_000

// addNs adds x to ns, reporting overflow.
func addNs(ns, x int64) (int64, bool) {
	r := ns + x
	return r, (x > 0 && r < ns) || (x < 0 && r > ns)
}

// parseTimestamp reads a date, optionally followed by 'T' or ' ' and a time
// of day, and for ISO dates a zone (UTC when absent). It returns Unix
// nanoseconds.
func parseTimestamp(s []byte, f DateFormat) (int64, error) {
	days, i, err := parseDate(s, f)
	if err != nil {
		return 0, err
	}
	if days > maxDays || days < -maxDays {
		return 0, errRange
	}
	ns := days * 86400e9
	if i == len(s) {
		return ns, nil
	}
	if s[i] != 'T' && s[i] != ' ' {
		return 0, errNotDate
	}
	clock, i, err := parseClock(s, i+1)
	if err != nil {
		return 0, err
	}
	ns, over := addNs(ns, clock)
	if over {
		return 0, errRange
	}
	if f == DateISO {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		off, j, err := parseZone(s, i)
		if err != nil {
			return 0, err
		}
		if ns, over = addNs(ns, -off*1e9); over {
			return 0, errRange
		}
		i = j
	}
	if i != len(s) {
		return 0, errNotDate
	}
	return ns, nil
}

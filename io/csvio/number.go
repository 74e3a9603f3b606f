package csvio

import (
	"strconv"
	"unsafe"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// scanFloat reads a plain decimal number starting at b[i] and ending at a
// delimiter, a newline, "\r\n" or the end of b. It returns ok=false for
// anything it does not handle exactly (more than 19 digits, large
// exponents, quotes, spaces, words), which the caller then gives to
// strconv.ParseFloat.
//
// When it succeeds the result is bit-identical to strconv.ParseFloat: the
// mantissa is an integer below 2^53 and the power of ten is at most 1e22,
// both exact in float64, so one multiplication or division rounds correctly
// (Clinger 1990, the fast path strconv uses too).
func scanFloat(b []byte, i int, delim, dec byte) (float64, int, bool) {
	n := len(b)
	neg := false
	if i < n && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	nd, exp := 0, 0
	for ; i < n; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
		nd++
	}
	if i < n && b[i] == dec {
		i++
		for ; i < n; i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			mant = mant*10 + uint64(c)
			nd++
			exp--
		}
	}
	if nd == 0 || nd > 19 {
		return 0, i, false
	}
	if i < n && b[i]|0x20 == 'e' {
		i++
		eneg := false
		if i < n && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		if i >= n || b[i]-'0' > 9 {
			return 0, i, false
		}
		e := 0
		for ; i < n; i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if e < 100000 {
				e = e*10 + int(c)
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i < n {
		if c := b[i]; c != delim && c != '\n' && (c != '\r' || i+1 >= n || b[i+1] != '\n') {
			return 0, i, false
		}
	}
	var f float64
	switch {
	case mant == 0:
	case mant > 1<<53 || exp < -22 || exp > 22:
		return 0, i, false
	case exp < 0:
		f = float64(mant) / pow10[-exp]
	default:
		f = float64(mant) * pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, i, true
}

// parseFloat parses a whole field as strconv.ParseFloat does, with dec as
// the decimal separator. It does not allocate.
func parseFloat(s []byte, dec byte) (float64, error) {
	if v, end, ok := scanFloat(s, 0, 0, dec); ok && end == len(s) {
		return v, nil
	}
	if len(s) == 0 {
		return 0, strconv.ErrSyntax
	}
	if dec != '.' {
		// strconv only knows '.': translate into a small buffer, and
		// refuse '.' which would be read as a thousands separator by some
		// and as a decimal point by others.
		var tmp [64]byte
		if len(s) > len(tmp) {
			return 0, strconv.ErrSyntax
		}
		t := tmp[:len(s)]
		for i, c := range s {
			switch c {
			case '.':
				return 0, strconv.ErrSyntax
			case dec:
				c = '.'
			}
			t[i] = c
		}
		return parseStd(t)
	}
	return parseStd(s)
}

func parseStd(s []byte) (float64, error) {
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(s), len(s)), 64)
	if err != nil {
		return v, err.(*strconv.NumError).Err
	}
	return v, nil
}

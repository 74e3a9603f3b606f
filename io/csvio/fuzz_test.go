package csvio

import (
	"bytes"
	"math"
	"strconv"
	"testing"
)

// FuzzRead reads arbitrary input; whatever reads must write and read back
// to the same frame, bit for bit (as encoding/csv/fuzz_test.go does). The
// seed corpus runs with the normal tests.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n3,4\n",
		"time,x\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01.5Z,NA\n",
		"Date;Time;v\n13/03/2004;18:00:00;1,5\n13/03/2004;19:00:00;-200\n",
		"t\tx\ty\n0\t1e10\t\n0.5\t-0\t3\n",
		"\"a\nb\",\"c\"\"\"\n\"1\",2\r\n",
		"x\n\"\"\n1\n",
		"timestamp,v\n1700000000,1\n1700000001,2",
		"a,b\n1,2\n3,\"4\n",
		"a,a\n1,2\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, info, err := Read(bytes.NewReader(in), "fuzz.csv")
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %v is a %T, not a *ParseError", err, err)
			}
			return
		}
		opts := []WriteOption{WithWriteDelimiter(info.Delimiter)}
		if info.DecimalComma {
			opts = append(opts, WithWriteDecimalComma(true))
		}
		var buf bytes.Buffer
		if err := Write(&buf, fr, opts...); err != nil {
			t.Fatalf("write: %v", err)
		}
		ropts := []Option{WithDelimiter(info.Delimiter), WithDecimalComma(info.DecimalComma), WithMissing()}
		if ix := fr.Index(); ix.Name != "" {
			ropts = append(ropts, WithTimeColumn(ix.Name), WithDateFormat(DateISO))
		} else {
			ropts = append(ropts, WithNoTimeColumn())
		}
		fr2, _, err := Read(bytes.NewReader(buf.Bytes()), "fuzz2.csv", ropts...)
		if err != nil {
			t.Fatalf("reading what was written: %v\ninput %q\nwritten %q", err, in, buf.Bytes())
		}
		assertSameFrame(t, fr, fr2)
	})
}

// FuzzParseFloat checks the fast path against strconv.ParseFloat.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"1.5", "-0", "1e22", "9007199254740993", "0.1e-5", "123456789012345678901", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := strconv.ParseFloat(s, 64)
		got, err := parseFloat([]byte(s), '.')
		if (err == nil) != (werr == nil) {
			t.Fatalf("parseFloat(%q) error %v, strconv %v", s, err, werr)
		}
		if werr == nil && math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("parseFloat(%q) = %v, strconv %v", s, got, want)
		}
	})
}

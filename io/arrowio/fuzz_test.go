package arrowio_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/vica-dev/vica/io/arrowio"
	"github.com/vica-dev/vica/timeseries"
)

// FuzzRead reads arbitrary bytes; it must never panic, and whatever reads
// must survive a write-read round trip in every format unchanged.
func FuzzRead(f *testing.F) {
	small := newFrame(f, rand.New(rand.NewPCG(9, 9)), 20, 2, timeseries.TimeIndex, 0.2)
	for _, format := range []arrowio.Format{arrowio.FormatFile, arrowio.FormatStream, arrowio.FormatParquet} {
		var buf bytes.Buffer
		if err := arrowio.Write(&buf, format, small, &arrowio.WriteOptions{BatchSize: 7}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("ARROW1"))
	f.Add([]byte("PAR1\x00\x00PAR1"))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, _, err := arrowio.Read(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		for _, format := range []arrowio.Format{arrowio.FormatFile, arrowio.FormatStream, arrowio.FormatParquet} {
			var buf bytes.Buffer
			if err := arrowio.Write(&buf, format, fr, nil); err != nil {
				t.Fatalf("%v: write what was read: %v", format, err)
			}
			again, _, err := arrowio.Read(&buf, nil)
			if err != nil {
				t.Fatalf("%v: read what was written: %v", format, err)
			}
			sameFrame(t, fr, again)
		}
	})
}

package timeseries_test

import (
	"fmt"
	"math"

	"github.com/vica-dev/vica/timeseries"
)

// A frame is cleaned, scaled with a scaler fitted on the training rows only,
// and cut into windows per block so that no window crosses into validation.
func Example() {
	nan := math.NaN()
	data := []float64{ // channels temp, flow; one row per time step
		20, 1.0, 21, 1.2, nan, 1.1, 23, 1.3, 24, nan,
		25, 1.5, 26, 1.4, 27, 1.6, 28, 1.8, 29, 1.7,
	}
	f, err := timeseries.New([]string{"temp", "flow"}, data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := f.HandleMissing(timeseries.MissingError); err != nil {
		fmt.Println(err)
	}
	f, rep, err := f.HandleMissing(timeseries.MissingInterpolate)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("missing:", rep.Missing, "filled:", rep.Filled, "temp at row 3:", f.At(2, 0))

	train, valid, err := timeseries.Split(f.Rows(), 3, &timeseries.SplitSettings{ValidFraction: 0.3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train", train, "valid", valid)

	s, err := timeseries.FitScaler(f.Slice(train[0].From, train[0].To), timeseries.ZScore)
	if err != nil {
		fmt.Println(err)
		return
	}
	z, err := s.Transform(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	ws, err := z.WindowsIn(train, 3, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range ws.Len() {
		fmt.Printf("window %d: rows %d..%d, labelled %d, %d values\n", i, ws.Start(i), ws.End(i), ws.End(i), len(ws.Row(i)))
	}
	// Output:
	// timeseries: missing value in channel "temp" at row 3 (2 missing in total); choose --missing drop, interpolate or ffill
	// missing: [1 1] filled: 2 temp at row 3: 22
	// train [{0 7}] valid [{7 10}]
	// window 0: rows 0..2, labelled 2, 6 values
	// window 1: rows 2..4, labelled 4, 6 values
	// window 2: rows 4..6, labelled 6, 6 values
}

// Segments for the segment-conditioned prior: fixed blocks of 4 time steps,
// the short remainder merged; each window takes its last step's segment.
func ExampleWindows_Segments() {
	f, _ := timeseries.New([]string{"x"}, make([]float64, 9), nil)
	rowSeg := timeseries.FixedSegments(f.Rows(), 4)
	ws, _ := f.Windows(3, 1)
	fmt.Println(rowSeg)
	fmt.Println(ws.Segments(rowSeg))
	// Output:
	// [0 0 0 0 1 1 1 1 1]
	// [0 0 1 1 1 1 1]
}

func ExampleParseMissingPolicy() {
	p, err := timeseries.ParseMissingPolicy("ffill")
	fmt.Println(p, err)
	_, err = timeseries.ParseMissingPolicy("zero")
	fmt.Println(err)
	// Output:
	// ffill <nil>
	// timeseries: unknown missing-value policy "zero"; choose error, drop, interpolate or ffill
}

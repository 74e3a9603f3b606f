package vae

import "fmt"

// Dataset is N rows of Dim() values. Row returns a view that the model never
// modifies (timeseries windows implement it without copying).
type Dataset interface {
	Len() int
	Dim() int
	Row(i int) []float64
}

type matrix struct {
	x   []float64
	dim int
}

func (m matrix) Len() int            { return len(m.x) / m.dim }
func (m matrix) Dim() int            { return m.dim }
func (m matrix) Row(i int) []float64 { return m.x[i*m.dim : (i+1)*m.dim : (i+1)*m.dim] }

// Matrix views the row-major x as len(x)/dim rows of dim values. It panics
// if dim <= 0 or len(x) is not a multiple of dim.
func Matrix(x []float64, dim int) Dataset {
	if dim <= 0 || len(x)%dim != 0 {
		panic(fmt.Sprintf("vae: Matrix of %d values with dim %d", len(x), dim))
	}
	return matrix{x, dim}
}

// Data is a dataset and an optional segment label per row.
type Data struct {
	X Dataset
	// Segment is nil, or one label in [0, Settings.Segments) per row.
	Segment []int
}

// check validates d against a model of dimension dim with the given
// settings; needSeg says whether segment labels are required.
func (d Data) check(dim int, s *Settings) error {
	if d.X == nil || d.X.Len() == 0 {
		return ErrEmpty
	}
	if d.X.Dim() != dim {
		return fmt.Errorf("%w: data has %d values per row, model %d", ErrShape, d.X.Dim(), dim)
	}
	needSeg := s.Prior == SegmentPrior || s.EncoderSeesSegment
	if d.Segment == nil {
		if needSeg {
			return fmt.Errorf("%w: the model needs a segment label per row", ErrSegment)
		}
		return nil
	}
	if len(d.Segment) != d.X.Len() {
		return fmt.Errorf("%w: %d labels for %d rows", ErrSegment, len(d.Segment), d.X.Len())
	}
	if needSeg {
		for i, u := range d.Segment {
			if u < 0 || u >= s.Segments {
				return fmt.Errorf("%w: row %d has segment %d, want [0, %d)", ErrSegment, i, u, s.Segments)
			}
		}
	}
	return nil
}

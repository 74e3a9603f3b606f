// Package timeseries holds multichannel time series in memory and turns them
// into the rows a model trains on.
//
// A [Frame] is a set of named float64 channels sampled at the same time
// steps, stored row-major (time-major), with an optional time [Index]. Because
// the storage is row-major, a window of W consecutive time steps is one
// contiguous slice of W×D values, so [Windows] are views into the frame and
// never copy it.
//
// # Channels and rows
//
// [Frame.Select] and [Frame.Exclude] copy the named channels; an unknown name
// is an error that lists the channels there are. [Frame.Slice] is a view of a
// range of rows.
//
// # Missing values
//
// Missing values are NaN. [Frame.HandleMissing] applies a [MissingPolicy]:
// error (the default, a [*MissingValueError] naming the channel and row of
// the first missing value), drop rows, linear interpolation or forward fill,
// and reports how many values each channel had missing. A channel with no
// value at all is an error under every policy.
//
// # Scaling
//
// A [Scaler] is fitted on training data (z-score, or median and MAD for
// robustness against outliers) and kept, so that new data is scaled the same
// way; its inverse maps back to the original units.
//
// # Windows, segments and splits
//
// The window ending at time step t is labelled t: its source values belong to
// t, and the first W-1 time steps have none. Segments label each time step
// for the segment-conditioned prior of identifiable VAEs (Khemakhem et al.
// 2020); a window belongs to the segment of its last time step. Train and
// validation splits are contiguous blocks of time, so that overlapping windows
// never straddle the split.
package timeseries

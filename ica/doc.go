// Package ica performs nonlinear independent component analysis of
// multichannel time series with identifiable VAEs, and provides a linear
// FastICA baseline and the metrics to compare estimated sources with a known
// truth.
//
// # Metrics
//
// [MCC] is the mean absolute correlation between true and estimated sources
// after the best one-to-one matching ([Hungarian] algorithm), the standard
// score of nonlinear ICA (Hyvärinen and Morioka 2016; Khemakhem et al. 2020).
// [Amari] measures how far a linear unmixing times the true mixing is from a
// scaled permutation.
//
// # Baseline
//
// [FastICA] is linear FastICA (Hyvärinen 1999) with PCA whitening, symmetric
// decorrelation and the log cosh contrast.
package ica

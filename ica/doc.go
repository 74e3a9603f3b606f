// Package ica performs nonlinear independent component analysis of
// multichannel time series with identifiable VAEs, and provides a linear
// FastICA baseline and the metrics to compare estimated sources with a known
// truth.
//
// # Model
//
// The channels x(t) ∈ R^D are taken to be an unknown invertible nonlinear
// mixing x = f(s) of K ≤ D independent sources s(t), whose variances change
// from one time segment u to the next. Nonlinear ICA is not identifiable in
// general (any measure-preserving map of the sources fits the data as
// well), but it is when the sources are conditionally independent given an
// auxiliary variable that modulates them (Hyvärinen and Morioka 2016, time-
// contrastive learning; Khemakhem et al. 2020, Theorem 1, which needs at
// least 2K+1 distinct segments). [Fit] trains the identifiable VAE (iVAE) of
// Khemakhem et al. with the segment as u:
//
//	p(z | u) = Π_i N(z_i; 0, λ_i(u))          (learned per-segment variances)
//	p(x | z) = N(x; f(z), σ² I)               (an MLP decoder)
//	q(z | x) = N(z; μ(x), Σ(x))               (an MLP encoder; it does not
//	                                           see u, so that new data need
//	                                           no segment labels)
//
// maximising the ELBO E_q[log p(x|z)] − KL(q(z|x) ‖ p(z|u)) (Kingma and
// Welling 2014, eq. 10) with the reparameterisation z = μ + L ε. The
// posterior covariance Σ = L Lᵀ is full by default: a diagonal posterior
// makes the ELBO prefer decoders whose Jacobian has orthogonal columns,
// which, with a mixing that is not orthogonal, trades the sources' identity
// for a better bound (measured: MCC 0.72 diagonal against 0.98 full on
// 2-layer mixings).
//
// # Pipeline
//
// Fit drops channels that are exact linear combinations of others, scales
// the channels on the training rows, whitens the k leading principal
// directions, cuts the series into windows (the window ending at t gives
// the sources at t) and fixed-length segments (or the labels of a column),
// keeps the last part of every segment for validation (early stopping and
// the choice among restarts), and trains. The sources are the posterior
// means, ordered by mean KL (the information each carries, in nats per time
// step), scaled to unit variance, and signed so that the most correlated
// input channel correlates positively; dimensions whose mean KL is below
// [ActiveKL] have collapsed to the prior and are left out.
//
// # Metrics
//
// [MCC] is the mean absolute correlation between true and estimated sources
// after the best one-to-one matching ([Hungarian] algorithm), the standard
// score of nonlinear ICA (Hyvärinen and Morioka 2016; Khemakhem et al. 2020).
// [Amari] measures how far a linear unmixing times the true mixing is from a
// scaled permutation (Amari et al. 1996).
//
// # Baseline
//
// [FastICA] is linear FastICA (Hyvärinen 1999) with PCA whitening, symmetric
// decorrelation and the log cosh contrast.
package ica

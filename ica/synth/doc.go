// Package synth simulates nonlinear ICA data with a known answer: independent
// sources, nonstationary over segments, mixed by a random invertible MLP.
//
// The generator follows the synthetic data of identifiable VAEs (Khemakhem et
// al. 2020, section 6, and their reference code): K sources over M segments
// of N samples, each source's scale drawn anew in every segment, mixed by L
// layers of well-conditioned random matrices with a leaky-ReLU (or tanh-like)
// nonlinearity between layers and a linear last layer. Temporally dependent
// sources (AR(1) with Laplace innovations) are also available.
//
// Everything is determined by [Settings], including the seed, and the
// resolved settings are kept in the [Dataset] and marshal to JSON, so every
// dataset can be made again.
package synth

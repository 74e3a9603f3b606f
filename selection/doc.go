// Package selection estimates how many independent sources a multichannel
// time series holds, by fitting several ica models (latent sizes, restarts)
// and comparing their per-dimension KL and held-out likelihood bounds.
package selection

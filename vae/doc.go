// Package vae trains diagonal-Gaussian variational autoencoders, with a
// standard normal or a segment-conditioned prior, on rows of numbers.
//
// It knows nothing of time, files or channel names: a row is a flattened
// window of W time steps × C channels (W = 1 is the pointwise case), and an
// optional segment label per row is the auxiliary variable u of the iVAE.
//
// # Model
//
// The encoder q(z|x) = N(mu(x), diag exp(logvar(x))) and the decoder
// p(x|z) = N(f(z), diag exp(logvar_x)) are multilayer perceptrons with the
// same hidden widths (Settings.Hidden) and activation (leaky ReLU with slope
// 0.2 by default). The observation log-variance logvar_x is learned per
// channel (input dimension i uses channel i % Settings.Channels) or fixed.
// With Settings.EncoderSeesSegment the encoder sees x and the one-hot u.
//
// Priors:
//   - StandardNormal: p(z) = N(0, I) (Kingma and Welling 2014);
//   - SegmentPrior: p(z|u) = prod_i N(z_i; 0, lambda_i(u)) with learned
//     log lambda_i(u) per segment (Khemakhem et al. 2020, section 3).
//
// # Objective
//
// Training maximises the evidence lower bound (Kingma and Welling 2014,
// eq. 10), per row,
//
//	ELBO = (1/L) sum_l log p(x|z_l) - beta KL(q(z|x) || p(z|u)),
//	z_l = mu + eps_l * exp(logvar/2),  eps_l ~ N(0, I)   (reparameterisation),
//
// with the KL in closed form per latent dimension:
//
//	KL_i = 0.5 (log lambda_i - logvar_i + (exp(logvar_i) + mu_i^2)/lambda_i - 1),
//
// which is the familiar 0.5 (mu^2 + exp(logvar) - 1 - logvar) for the
// standard normal (lambda = 1). beta (default 1) can be ramped from 0 over
// Settings.WarmupEpochs. Model.KLPerDim averages KL_i over the data: a latent
// with KL_i near 0 is unused. Model.IWAE evaluates the importance-weighted
// bound of Burda et al. (2016, eq. 8),
//
//	IWAE_S = log (1/S) sum_s p(x|z_s) p(z_s|u) / q(z_s|x),  z_s ~ q(z|x),
//
// which lies between the ELBO and log p(x) and tends to log p(x) as S grows.
//
// Settings.Weights trains instead on the weighted decomposition of the
// ELBO that the iVAE reference code uses (reconstruction, index-code mutual
// information, total correlation, dimension-wise KL; Chen et al. 2018),
// with the aggregate posterior estimated by minibatch-weighted sampling;
// it couples the rows of a minibatch, so a step then has two more
// hand-overs (see Weights).
//
// # Training
//
// Adam (Kingma and Ba 2015, the PyTorch form of its bias correction) on
// shuffled minibatches, with the whole gradient's norm clipped, learning-rate
// decay per epoch, early stopping on the validation ELBO restoring the best
// parameters, roll-back and learning-rate halving after a NaN or Inf, and
// cancellation through a context.Context.
//
// Training runs in float32 by default, with an AVX2/FMA matrix-product
// kernel in assembly (no cgo; pure Go on other machines), or in float64 on
// request, with products from github.com/viterin/vek. A step takes five
// hand-overs between its goroutines: weights packed; each goroutine runs
// whole groups of rows through the encoder, sampling, decoder, loss and
// back; the weight gradients, which sum over all rows; the gradient norm;
// the Adam update. Work is split among goroutines by output elements only,
// each summed in a fixed order, and random numbers are drawn on one
// goroutine in a fixed order, so one seed gives the same parameters bit for
// bit whatever the number of threads.
//
// # References
//
//   - D. P. Kingma and M. Welling. Auto-encoding variational Bayes. ICLR 2014.
//   - I. Khemakhem, D. P. Kingma, R. P. Monti and A. Hyvärinen. Variational
//     autoencoders and nonlinear ICA: a unifying framework. AISTATS 2020.
//   - Y. Burda, R. Grosse and R. Salakhutdinov. Importance weighted
//     autoencoders. ICLR 2016.
//   - R. T. Q. Chen, X. Li, R. Grosse and D. Duvenaud. Isolating sources
//     of disentanglement in variational autoencoders. NeurIPS 2018.
//   - D. P. Kingma and J. Ba. Adam: a method for stochastic optimization.
//     ICLR 2015.
//   - M. E. Tipping and C. M. Bishop. Probabilistic principal component
//     analysis. JRSS B 61(3), 1999 (the linear case used in the tests).
package vae

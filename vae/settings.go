package vae

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"
)

// Errors returned by vae. Errors from Train and the Model methods that
// depend on the data wrap one of these.
var (
	ErrSettings  = errors.New("vae: invalid settings")
	ErrEmpty     = errors.New("vae: no rows")
	ErrShape     = errors.New("vae: dimension mismatch")
	ErrSegment   = errors.New("vae: segment label out of range")
	ErrNonFinite = errors.New("vae: non-finite value in data")
	ErrDiverged  = errors.New("vae: training diverged")
	ErrFormat    = errors.New("vae: not a vae model file")
	ErrVersion   = errors.New("vae: model file version is newer than this program")
	ErrTruncated = errors.New("vae: model file is truncated")
	ErrChecksum  = errors.New("vae: model file checksum mismatch")
)

// Prior is the prior p(z) (or p(z|u)) over the latent variables.
type Prior int

const (
	// StandardNormal is p(z) = N(0, I) (Kingma and Welling 2014).
	StandardNormal Prior = iota
	// SegmentPrior is p(z|u) = prod_i N(z_i; 0, lambda_i(u)) with a learned
	// log-variance per segment u and latent dimension i (the iVAE prior of
	// Khemakhem et al. 2020). It needs Settings.Segments and a segment label
	// per row.
	SegmentPrior
)

func (p Prior) String() string {
	switch p {
	case StandardNormal:
		return "standard-normal"
	case SegmentPrior:
		return "segment"
	}
	return fmt.Sprintf("Prior(%d)", int(p))
}

// Activation is the nonlinearity of the hidden layers.
type Activation int

const (
	// LeakyReLU is max(a, 0.2 a), the slope of the PyTorch reference
	// (torch_vae.py). It is the default.
	LeakyReLU Activation = iota
	// Tanh is the hyperbolic tangent.
	Tanh
	// ReLU is max(a, 0).
	ReLU
	// Identity makes the hidden layers linear (used for probabilistic PCA).
	Identity
)

// leakySlope is the negative-side slope of LeakyReLU.
const leakySlope = 0.2

func (a Activation) String() string {
	switch a {
	case LeakyReLU:
		return "leaky-relu"
	case Tanh:
		return "tanh"
	case ReLU:
		return "relu"
	case Identity:
		return "identity"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Weights are the weights of the four terms of the decomposed ELBO that
// the iVAE reference code trains on (Khemakhem et al. 2020, §3.3 and its
// code's elbo method; Chen et al. 2018, eq. 2): the training loss per row is
//
//	-Rec·log p(x|z) + MI·[log q(z|x,u) - log q(z)]
//	  + TC·[log q(z) - Σ_i log q(z_i)] + DimKL·[Σ_i log q(z_i) - log p(z|u)],
//
// z ~ q(z|x,u), where the aggregate posterior q(z) and its marginals q(z_i)
// are estimated from the minibatch by minibatch-weighted sampling (Chen et
// al. 2018, eq. 4): log q(z_m) ≈ logsumexp_n log q(z_m|x_n) - log(M·N) for
// M rows of a minibatch drawn from N. With Rec = MI = TC = DimKL = 1 it is
// the negative ELBO; the reference's 3-layer simulation uses Rec 100, MI 1,
// TC 0, DimKL 10 with an observation variance of 0.1.
//
// The terms log q(z|x,u) - log p(z|u), whose expectation is the KL
// divergence, enter with weight MI in closed form (the ELBO's KL, lower in
// variance than the reference's single-sample estimate) and the rest as
// (TC-MI)·log q(z) + (DimKL-TC)·Σ_i log q(z_i) + (MI-DimKL)·log p(z|u),
// which has the same expectation. Beta and the warm-up multiply MI, TC and
// DimKL.
//
// Because the estimates couple the rows of a minibatch, the loss is not a
// sum over rows and is not a bound on log p(x). Early stopping, the
// restored parameters and the plateau schedule follow the same weighted
// objective on the validation data (Progress.ValidObjective), since on the
// iVAE simulations the ELBO falls while the weighted objective, and the
// recovery of the sources, improve; the ELBO values reported (Progress,
// History, Model.ELBO) are still the plain ELBO.
type Weights struct {
	Rec   float64 // weight of the reconstruction term -log p(x|z); > 0
	MI    float64 // weight of the index-code mutual information
	TC    float64 // weight of the total correlation
	DimKL float64 // weight of the dimension-wise KL to the prior
}

// Settings configure the model and its training. The zero value works: each
// field documents its default, which Train fills in; Model.Settings returns
// the filled-in values.
type Settings struct {
	// Latent is the number of latent dimensions. Default min(Dim, 10).
	Latent int
	// Hidden holds the widths of the hidden layers of both the encoder and
	// the decoder. nil means the default [64, 64]; an empty non-nil slice
	// means no hidden layer (linear encoder and decoder).
	Hidden []int
	// Activation of the hidden layers. Default LeakyReLU.
	Activation Activation
	// Prior over the latents. Default StandardNormal.
	Prior Prior
	// Segments is the number of segment labels (the auxiliary variable u).
	// Needed by SegmentPrior and EncoderSeesSegment; labels are in
	// [0, Segments).
	Segments int
	// EncoderSeesSegment appends the one-hot segment label to the encoder's
	// input, making the posterior q(z|x,u) as in the iVAE.
	EncoderSeesSegment bool
	// FullCovariance makes the posterior q(z|x) a Gaussian with a full
	// covariance L·Lᵀ, L lower triangular with exp(logvar/2) on its
	// diagonal and K(K-1)/2 more encoder outputs below it, instead of a
	// diagonal one. A diagonal posterior biases the ELBO towards decoders
	// whose Jacobian has orthogonal columns, whatever the prior: a full one
	// removes that bias, which matters for identifiability (iVAE).
	FullCovariance bool
	// Channels: input dimension i shares its observation log-variance with
	// all dimensions j such that i%Channels == j%Channels, so a window of W
	// steps × C channels flattened step-major has one variance per channel.
	// It must divide Dim. Default Dim (one variance per input dimension).
	Channels int
	// FixedObsVariance > 0 fixes the decoder's variance to this value;
	// 0 (the default) learns it per channel.
	FixedObsVariance float64
	// Beta weights the KL term of the ELBO (beta-VAE). Default 1.
	Beta float64
	// WarmupEpochs ramps the KL weight linearly from 0 to Beta over this
	// many epochs (step by step). Default 0: no warm-up.
	WarmupEpochs int
	// Samples is the number L of reparameterised samples per row in the
	// ELBO. Default 1.
	Samples int
	// ImportanceWeighted trains on the importance-weighted bound
	// log (1/L) Σ_s p(x, z_s|u)/q(z_s|x) with the L = Samples samples
	// (Burda et al. 2016) instead of the ELBO averaged over them. The bound
	// is tighter, and does not penalise a decoder whose posterior a
	// Gaussian q fits poorly as much as the ELBO does. Beta and the warm-up
	// weight log p(z|u) - log q(z|x) in each sample's log-weight. The
	// ELBO values of training (Progress, History) are then this bound, and
	// early stopping follows it. It cannot be combined with Weights.
	ImportanceWeighted bool
	// DoublyReparameterized, with ImportanceWeighted, trains the encoder
	// on the doubly reparameterised gradient estimator of Tucker et al.
	// (2019), whose signal-to-noise ratio does not fall as Samples grows
	// as the standard one's does; the decoder's gradient is unchanged. It
	// needs a diagonal posterior (not FullCovariance).
	DoublyReparameterized bool
	// Epochs is the maximum number of passes over the data. Default 100.
	Epochs int
	// BatchSize is the minibatch size. Default 256 (or the number of rows if
	// smaller).
	BatchSize int
	// LearningRate of Adam. Default 1e-3.
	LearningRate float64
	// LRDecay multiplies the learning rate after each epoch. Default 1 (no
	// decay).
	LRDecay float64
	// PlateauPatience, if positive, multiplies the learning rate by
	// PlateauFactor whenever the validation ELBO (the training ELBO without
	// validation data) has not improved for this many epochs since the best
	// epoch or the last reduction: PyTorch's ReduceLROnPlateau, which the
	// iVAE reference uses. Early stopping (Patience) still counts the
	// epochs since the best one, so Patience should exceed it. Default 0:
	// no plateau schedule.
	PlateauPatience int
	// PlateauFactor is the factor of the plateau schedule, in (0, 1).
	// Default 0.1.
	PlateauFactor float64
	// Patience stops training when the validation ELBO has not improved for
	// this many epochs, and restores the best parameters. Default 10;
	// negative disables early stopping (the best parameters are still
	// restored). Ignored without validation data.
	Patience int
	// ClipNorm rescales the whole gradient to this Euclidean norm when it is
	// larger. Default 10; negative disables clipping.
	ClipNorm float64
	// Weights reweights the terms of the ELBO's decomposition in training
	// (see Weights). The zero value trains on the ELBO itself.
	Weights Weights
	// Threads is the number of goroutines used for training and
	// evaluation. Default GOMAXPROCS. Results do not depend on it.
	Threads int
	// Float64 trains in float64 instead of float32 (slower; used for
	// gradient checks).
	Float64 bool
}

// resolve returns a copy of s (nil means zero) with defaults filled in for
// data of dimension dim, or an error if a field is invalid.
func resolve(s *Settings, dim int) (Settings, error) {
	var r Settings
	if s != nil {
		r = *s
		r.Hidden = append([]int(nil), s.Hidden...)
		if s.Hidden != nil && len(s.Hidden) == 0 {
			r.Hidden = []int{}
		}
	}
	bad := func(format string, args ...any) (Settings, error) {
		return Settings{}, fmt.Errorf("%w: "+format, append([]any{ErrSettings}, args...)...)
	}
	if dim <= 0 {
		return bad("dimension %d", dim)
	}
	if r.Latent == 0 {
		r.Latent = min(dim, 10)
	}
	if r.Latent < 0 {
		return bad("Latent %d < 0", r.Latent)
	}
	if s == nil || s.Hidden == nil {
		r.Hidden = []int{64, 64}
	}
	for i, h := range r.Hidden {
		if h <= 0 {
			return bad("Hidden[%d] = %d", i, h)
		}
	}
	if r.Activation < LeakyReLU || r.Activation > Identity {
		return bad("unknown activation %d", int(r.Activation))
	}
	if r.Prior < StandardNormal || r.Prior > SegmentPrior {
		return bad("unknown prior %d", int(r.Prior))
	}
	if r.Segments < 0 {
		return bad("Segments %d < 0", r.Segments)
	}
	if (r.Prior == SegmentPrior || r.EncoderSeesSegment) && r.Segments == 0 {
		return bad("the segment prior and EncoderSeesSegment need Segments > 0")
	}
	if r.Channels == 0 {
		r.Channels = dim
	}
	if r.Channels < 0 || dim%r.Channels != 0 {
		return bad("Channels %d does not divide the dimension %d", r.Channels, dim)
	}
	if r.FixedObsVariance < 0 || math.IsNaN(r.FixedObsVariance) || math.IsInf(r.FixedObsVariance, 0) {
		return bad("FixedObsVariance %g", r.FixedObsVariance)
	}
	if r.Beta == 0 {
		r.Beta = 1
	}
	if !(r.Beta > 0) || math.IsInf(r.Beta, 0) {
		return bad("Beta %g", r.Beta)
	}
	if w := r.Weights; w != (Weights{}) {
		for _, v := range []float64{w.Rec, w.MI, w.TC, w.DimKL} {
			if !(v >= 0) || math.IsInf(v, 0) {
				return bad("Weights %+v: each weight must be finite and >= 0", w)
			}
		}
		if w.Rec == 0 {
			return bad("Weights %+v: Rec must be > 0", w)
		}
	}
	if r.ImportanceWeighted && r.Weights != (Weights{}) {
		return bad("ImportanceWeighted cannot be combined with Weights")
	}
	if r.DoublyReparameterized && (!r.ImportanceWeighted || r.FullCovariance) {
		return bad("DoublyReparameterized needs ImportanceWeighted and a diagonal posterior")
	}
	if r.WarmupEpochs < 0 {
		return bad("WarmupEpochs %d < 0", r.WarmupEpochs)
	}
	if r.Samples == 0 {
		r.Samples = 1
	}
	if r.Samples < 0 {
		return bad("Samples %d < 0", r.Samples)
	}
	if r.Epochs == 0 {
		r.Epochs = 100
	}
	if r.Epochs < 0 {
		return bad("Epochs %d < 0", r.Epochs)
	}
	if r.BatchSize == 0 {
		r.BatchSize = 256
	}
	if r.BatchSize < 0 {
		return bad("BatchSize %d < 0", r.BatchSize)
	}
	if r.LearningRate == 0 {
		r.LearningRate = 1e-3
	}
	if !(r.LearningRate > 0) || math.IsInf(r.LearningRate, 0) {
		return bad("LearningRate %g", r.LearningRate)
	}
	if r.LRDecay == 0 {
		r.LRDecay = 1
	}
	if !(r.LRDecay > 0) || r.LRDecay > 1 {
		return bad("LRDecay %g not in (0, 1]", r.LRDecay)
	}
	if r.Patience == 0 {
		r.Patience = 10
	}
	if r.PlateauPatience < 0 {
		return bad("PlateauPatience %d < 0", r.PlateauPatience)
	}
	if r.PlateauFactor == 0 {
		r.PlateauFactor = 0.1
	}
	if !(r.PlateauFactor > 0 && r.PlateauFactor < 1) {
		return bad("PlateauFactor %g not in (0, 1)", r.PlateauFactor)
	}
	if r.ClipNorm == 0 {
		r.ClipNorm = 10
	}
	if math.IsNaN(r.ClipNorm) {
		return bad("ClipNorm NaN")
	}
	if r.Threads == 0 {
		r.Threads = runtime.GOMAXPROCS(0)
	}
	if r.Threads < 0 {
		return bad("Threads %d < 0", r.Threads)
	}
	return r, nil
}

// Progress reports the state of training after an epoch, or an event.
type Progress struct {
	Epoch     int     // 1-based epoch number
	TrainELBO float64 // mean ELBO per row over the epoch's minibatches (beta = 1)
	ValidELBO float64 // mean ELBO per validation row; NaN without validation data
	// ValidObjective is, with Settings.Weights, minus the weighted loss per
	// validation row (in minibatches of BatchSize in a fixed random order,
	// at the full KL weight): the score of early stopping and the plateau
	// schedule then. NaN without weights or validation data.
	ValidObjective float64
	Elapsed        time.Duration // since Train started
	LearningRate   float64       // the learning rate used in the epoch
	Event          string        // non-empty for events such as a NaN recovery
}

// History is the record of a training run.
type History struct {
	Epochs        []Progress // one entry per finished epoch
	BestEpoch     int        // 1-based epoch whose parameters were kept
	BestValidELBO float64    // at BestEpoch; NaN without validation data
	Recoveries    int        // number of NaN/Inf roll-backs
	Stopped       string     // why training ended: "max epochs" or "early stopping"
}

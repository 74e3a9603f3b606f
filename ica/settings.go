package ica

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/vica-dev/vica/timeseries"
	"github.com/vica-dev/vica/vae"
)

// Errors returned by Fit, Transform and Load.
var (
	ErrTooManySources = errors.New("ica: more sources asked than channels")
	ErrMissing        = errors.New("ica: missing values in the data")
	ErrTooShort       = errors.New("ica: series too short")
	ErrChannels       = errors.New("ica: channels do not match the model")
	ErrCollapsed      = errors.New("ica: every latent dimension collapsed")
	ErrFormat         = errors.New("ica: not a vica model file")
	ErrVersion        = errors.New("ica: model file version is newer than this program")
	ErrChecksum       = errors.New("ica: model file checksum mismatch")
	ErrTruncated      = errors.New("ica: model file is truncated")
)

// Defaults of [Settings].
const (
	// MaxDefaultSources bounds the default number of sources.
	MaxDefaultSources = 10
	// DefaultSegments is the number of fixed-length segments aimed at when
	// SegmentLength is 0: the iVAE paper's 40 (Khemakhem et al. 2020, §6).
	DefaultSegments = 40
	// MinSegmentLength is the shortest default segment, in time steps.
	MinSegmentLength = 50
	// DefaultValidFraction is the default share of each segment kept for
	// validation.
	DefaultValidFraction = 0.2
	// ActiveKL is the mean KL (nats per time step) below which a latent
	// dimension counts as collapsed. A Gaussian channel that carries a
	// source observed with correlation ρ transmits -½·log(1-ρ²) nats, so
	// 0.01 nats means ρ² < 0.02: the dimension explains less than 2% of any
	// signal and is posterior noise (the "inactive units" of Burda et al.
	// 2016, measured in nats instead of the variance of the mean).
	ActiveKL = 0.01
)

// Settings configure [Fit]. The zero value works; each field documents its
// default. A nil *Settings means the zero value.
type Settings struct {
	// Sources is the number K of latent dimensions (sources) fitted.
	// Default min(channels, 10), counting the channels left after dropping
	// exact linear combinations. Asking for more than that is an error
	// wrapping ErrTooManySources.
	Sources int
	// Window is the number W of consecutive time steps the encoder sees:
	// the source at time t is inferred from rows t-W+1 .. t. Default 1
	// (pointwise, the iVAE setting); larger windows let the model use
	// temporal structure, at the cost of W-1 leading rows without sources.
	Window int
	// Stride is the step between training windows. Default 1. A larger
	// stride trains on fewer, less redundant windows (faster for long
	// series and wide windows); sources are always computed for every row.
	Stride int
	// SegmentLength is the length in time steps of the fixed segments that
	// are the auxiliary variable u of the segment-conditioned prior.
	// Default max(rows/40, 50): 40 segments as in the iVAE experiments
	// (enough distinct variance profiles for identifiability, which needs
	// at least 2K+1 segments for K sources, Khemakhem et al. 2020 Thm. 1),
	// but never fewer than 50 time steps, so that each segment's prior
	// variance is estimated from enough samples (the relative standard
	// error of a variance from n Gaussian values is √(2/n), 20% at n = 50).
	// Ignored when SegmentColumn is set.
	SegmentLength int
	// SegmentColumn names a channel of the frame holding a segment label
	// per row (an experimental condition, a subject, a day). Its distinct
	// values become the segments, and it is not a channel of the model.
	// Default "": fixed-length segments.
	SegmentColumn string
	// StandardPrior replaces the segment-conditioned prior of the iVAE
	// (vae.SegmentPrior, the default, which makes the sources
	// identifiable) by the standard normal of a plain VAE, which does not:
	// it is here as a baseline.
	StandardPrior bool
	// DiagonalPosterior replaces the full-covariance Gaussian posterior
	// (vae.Settings.FullCovariance, the default) by a diagonal one, as in
	// most VAEs. With a diagonal posterior the ELBO trades the fit of the
	// prior for decoders whose Jacobian has orthogonal columns (the gap
	// between the ELBO and log p(x) of a mean-field posterior), which
	// breaks the identifiability of the iVAE: on the iVAE paper's
	// simulation with 2 mixing layers it lowers the MCC from about 0.97 to
	// about 0.7 (see BenchmarkAccuracy). It is here as a baseline.
	DiagonalPosterior bool
	// Scale is how channels are standardised before training, fitted on
	// the training rows. Default timeseries.ZScore.
	Scale timeseries.ScaleMethod
	// NoWhiten turns off the whitening that follows scaling. By default
	// the scaled channels are decorrelated on the training rows by ZCA
	// whitening (x ← Σ^(-1/2)·x), which makes the linear part of the mixing
	// orthogonal. That matters because the factorised posterior of a VAE
	// favours decoders whose Jacobian has orthogonal columns: on a linear
	// mixing of the iVAE simulation, the segment-prior VAE with a diagonal
	// posterior recovers the sources with MCC 0.78 from z-scored channels
	// and 0.9998 from whitened ones. The default full-covariance posterior
	// removes most of that bias (0.985 on the raw linear mixing), but on
	// the 2-layer mixing whitening still lifts the MCC from about 0.68 to
	// about 0.97.
	NoWhiten bool
	// ValidFraction is the share of the rows kept for validation (early
	// stopping and the choice among restarts): the last ValidFraction of
	// every segment, a contiguous block each, so that every segment's
	// prior is trained and validated and overlapping windows cannot leak.
	// A segment too short to split is used for training only. Default 0.2.
	ValidFraction float64
	// Restarts is the number R of fits from different seeds; the one with
	// the best validation ELBO is kept and the others measure the
	// stability of its sources. Default 1.
	Restarts int
	// Seed determines every random draw: restart r uses a generator seeded
	// from (Seed, r), so one Seed gives one model bit for bit.
	Seed uint64
	// CollinearTol is the relative residual below which a channel counts
	// as a linear combination of the channels before it and is dropped.
	// Default DefaultCollinearTol; negative disables the check.
	CollinearTol float64
	// VAE overrides the network and training settings. Its zero fields take
	// the defaults of DefaultVAE; Latent, Prior, Segments and Channels are
	// set by Fit and must be zero. nil means DefaultVAE.
	VAE *vae.Settings
	// Progress, if not nil, is called after every epoch of every restart,
	// on the goroutine that called Fit.
	Progress func(Progress)
	// Threads is the number of goroutines for training and evaluation.
	// Restarts run side by side, up to Threads at once, each on an equal
	// share. Default GOMAXPROCS. Results do not depend on it.
	Threads int
}

// Progress reports training progress.
type Progress struct {
	Restart  int // 1-based
	Restarts int
	vae.Progress
}

// DefaultVAE returns the network and training settings Fit uses where
// Settings.VAE leaves a field zero. They were chosen on the iVAE paper's
// simulations (see BenchmarkAccuracy): the fixed observation variance
// 0.01 and the widths of the reference code's iVAE, leaky ReLU (slightly
// better and about 3 times faster than tanh), and up to 200 epochs with
// early stopping after 20 epochs without a better validation ELBO. The
// 3-layer mixing needs the long training: 30 epochs give MCC about 0.76
// there, patience 10 (which stopped after 40 to 100 epochs) 0.78, patience
// 20 or 30 (stops after 100 to 170 epochs) 0.85, with the same best epochs
// for both; the 2-layer mixing gains little (0.980 to 0.984). Measured and
// not adopted on the 3-layer mixing (5 seeds, MCC): a plateau schedule
// (vae.Settings.PlateauPatience 5 to 8, factor 0.1 to 0.5; it reaches
// better validation ELBOs but MCC 0.77 to 0.83), learning rate 1e-2 with
// it (0.80), observation variance 0.1, 0.003, 0.001 or learned (0.71,
// 0.85, 0.76, 0.77), three hidden layers (0.79), tanh (0.81), no gradient
// clipping (0.84), an encoder that also sees the segment (0.86), and
// hidden widths [100, 100] (0.87 at about twice the time per epoch).
//
// What lifts the 3-layer mixing is the objective: the weighted ELBO
// decomposition of the reference code (vae.Weights) with the
// dimension-wise KL, Σ_i log q(z_i) - log p(z|u) with q(z_i) the
// minibatch estimate of the aggregate posterior's marginals, weighted 12
// times and the rest of the ELBO as it is: Settings.VAE.Weights =
// vae.Weights{Rec: 1, MI: 1, TC: 1, DimKL: 12} raises the MCC from 0.847 ±
// 0.083 to 0.955 ± 0.017 over 5 seeds (better on every seed), and on 2
// layers from 0.983 to 0.990; DimKL 3 and 6 gave 0.897 and 0.916. The
// reference's own weights (reconstruction 100 at observation variance 0.1,
// MI 1, TC 0, DimKL 10) gave 0.67, and MI 1, TC 0, DimKL 10 at variance
// 0.01 gave 0.60 (3 seeds). It is not the default because it keeps unused
// latent dimensions active (sources beyond the true count no longer
// collapse, which Model and the selection package rely on), it finds the
// foetal heart in the foetal ECG less often (1 seed in 5 against 3), and
// its minibatch terms make an epoch about twice as slow.
//
// Fit adds FullCovariance unless Settings.DiagonalPosterior.
func DefaultVAE() vae.Settings {
	return vae.Settings{
		Hidden:           []int{50, 50},
		Activation:       vae.LeakyReLU,
		FixedObsVariance: 0.01,
		Epochs:           200,
		BatchSize:        64,
		LearningRate:     3e-3,
		Patience:         20,
	}
}

// WeightedVAE returns DefaultVAE with the weighted objective of the iVAE
// reference: the terms of the ELBO's decomposition (Chen et al. 2018) with
// the dimension-wise KL to the segment prior weighted 12 and the total
// correlation kept, trained for a fixed 90 epochs of 48 rows at learning
// rate 5e-3, halved after 10 epochs without a better validation objective.
// Early stopping is off: it watches the weighted objective, whose plateaus
// come before the sources separate. On the iVAE paper's simulations (5
// seeds) it reaches MCC 0.937 with 3-layer mixing and 0.991 with 2 (against
// 0.847 and 0.983 for DefaultVAE) in about 8.5 s per fit on 2 cores, twice
// DefaultVAE's time. Use it when the mixing is deep and the number of
// sources known; it is not the default because unused latent dimensions do
// not collapse under it and, on the foetal ECG, it separates the weak
// foetal heartbeat less often.
func WeightedVAE() vae.Settings {
	v := DefaultVAE()
	v.Weights = vae.Weights{Rec: 1, MI: 1, TC: 1, DimKL: 12}
	v.Epochs = 90
	v.BatchSize = 48
	v.LearningRate = 5e-3
	v.Patience = -1
	v.PlateauPatience = 10
	v.PlateauFactor = 0.5
	return v
}

// resolve returns the Settings with the defaults filled in for a frame of the given
// rows and usable channels.
func (s *Settings) resolve(rows, channels int) (Settings, vae.Settings, error) {
	var r Settings
	if s != nil {
		r = *s
	}
	bad := func(format string, args ...any) (Settings, vae.Settings, error) {
		return Settings{}, vae.Settings{}, fmt.Errorf("%w: "+format, append([]any{ErrSettings}, args...)...)
	}
	if r.Sources < 0 {
		return bad("Sources %d < 0", r.Sources)
	}
	if r.Sources == 0 {
		r.Sources = min(channels, MaxDefaultSources)
	}
	if r.Sources > channels {
		return Settings{}, vae.Settings{}, fmt.Errorf("%w: %d sources asked, %d channels", ErrTooManySources, r.Sources, channels)
	}
	if r.Window == 0 {
		r.Window = 1
	}
	if r.Stride == 0 {
		r.Stride = 1
	}
	if r.Window < 0 || r.Stride < 0 {
		return bad("Window %d, Stride %d: both must be positive", r.Window, r.Stride)
	}
	if r.SegmentLength < 0 {
		return bad("SegmentLength %d < 0", r.SegmentLength)
	}
	if r.SegmentLength == 0 {
		r.SegmentLength = max(rows/DefaultSegments, MinSegmentLength)
	}
	if r.Scale != timeseries.ZScore && r.Scale != timeseries.Robust {
		return bad("unknown scale method %d", int(r.Scale))
	}
	if r.ValidFraction == 0 {
		r.ValidFraction = DefaultValidFraction
	}
	if !(r.ValidFraction > 0 && r.ValidFraction < 1) {
		return bad("ValidFraction %g not in (0, 1)", r.ValidFraction)
	}
	if r.Restarts == 0 {
		r.Restarts = 1
	}
	if r.Restarts < 0 {
		return bad("Restarts %d < 0", r.Restarts)
	}
	if r.CollinearTol == 0 {
		r.CollinearTol = DefaultCollinearTol
	}
	if math.IsNaN(r.CollinearTol) {
		return bad("CollinearTol NaN")
	}
	if r.Threads == 0 {
		r.Threads = runtime.GOMAXPROCS(0)
	}
	if r.Threads < 0 {
		return bad("Threads %d < 0", r.Threads)
	}
	v := DefaultVAE()
	if s != nil && s.VAE != nil {
		o := s.VAE
		if o.Latent != 0 || o.Prior != 0 || o.Segments != 0 || o.Channels != 0 {
			return bad("VAE.Latent, Prior, Segments and Channels are set by Fit; use Settings.Sources and Settings.StandardPrior")
		}
		if o.EncoderSeesSegment {
			return bad("VAE.EncoderSeesSegment: the encoder must see the data alone, so that Transform works on data without segments")
		}
		if o.Hidden != nil {
			v.Hidden = append([]int{}, o.Hidden...)
		}
		setIf(&v.Activation, o.Activation)
		setIf(&v.FixedObsVariance, o.FixedObsVariance)
		setIf(&v.Beta, o.Beta)
		setIf(&v.WarmupEpochs, o.WarmupEpochs)
		setIf(&v.Samples, o.Samples)
		setIf(&v.Epochs, o.Epochs)
		setIf(&v.BatchSize, o.BatchSize)
		setIf(&v.LearningRate, o.LearningRate)
		setIf(&v.LRDecay, o.LRDecay)
		setIf(&v.Patience, o.Patience)
		setIf(&v.PlateauPatience, o.PlateauPatience)
		setIf(&v.PlateauFactor, o.PlateauFactor)
		setIf(&v.ClipNorm, o.ClipNorm)
		setIf(&v.Weights, o.Weights)
		v.Float64 = o.Float64
	}
	v.FullCovariance = !r.DiagonalPosterior
	v.Latent = r.Sources
	v.Prior = vae.SegmentPrior
	if r.StandardPrior {
		v.Prior = vae.StandardNormal
	}
	v.Threads = r.Threads
	r.VAE = nil
	return r, v, nil
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

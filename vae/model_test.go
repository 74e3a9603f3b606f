package vae

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randData(rng *rand.Rand, n, dim, segments int) Data {
	x := make([]float64, n*dim)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	d := Data{X: Matrix(x, dim)}
	if segments > 0 {
		d.Segment = make([]int, n)
		for i := range d.Segment {
			d.Segment[i] = i * segments / n
		}
	}
	return d
}

// TestKLMonteCarlo compares the closed-form KL(N(mu, e^lv) || N(0, e^plv))
// with a Monte-Carlo average of log q(z) - log p(z) over z ~ q.
func TestKLMonteCarlo(t *testing.T) {
	const samples = 200_000
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name        string
		mu, lv, plv float64
	}{
		{"standard normal", 0.7, -0.5, 0},
		{"standard normal, wide", -1.2, 0.8, 0},
		{"segment prior", 0.3, -1.1, 0.9},
		{"segment prior, narrow", 2.0, 0.2, -1.3},
	} {
		var sum, sum2 float64
		for range samples {
			eps := rng.NormFloat64()
			z := c.mu + eps*math.Exp(0.5*c.lv)
			logq := -0.5 * (log2Pi + c.lv + eps*eps)
			logp := -0.5 * (log2Pi + c.plv + z*z*math.Exp(-c.plv))
			sum += logq - logp
			sum2 += (logq - logp) * (logq - logp)
		}
		mean := sum / samples
		se := math.Sqrt((sum2/samples - mean*mean) / samples)
		got := klNormal(c.mu, c.lv, c.plv)
		// tol: 5 standard errors of the Monte-Carlo mean.
		if math.Abs(got-mean) > 5*se {
			t.Errorf("%s: closed form %.5f, Monte Carlo %.5f ± %.5f", c.name, got, mean, se)
		}
	}
}

// TestKLConsistent checks that the KL inside the training loss equals the
// sum over dimensions of KLPerDim, for the segment prior.
func TestKLConsistent(t *testing.T) {
	const tol = 1e-9 // float64 rounding of sums of ~50 terms
	rng := rand.New(rand.NewPCG(5, 6))
	d := randData(rng, 40, 3, 4)
	m, _, err := Train(context.Background(), d, Data{}, &Settings{Latent: 2, Hidden: []int{8}, Prior: SegmentPrior,
		Segments: 4, Epochs: 3, BatchSize: 10, Float64: true}, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(&m.s, &m.lay, m.dim, m.p64, newPool(1), 40, 1)
	e.loadRange(d, 0, 40, nil)
	_, kl := e.step(1, 1, rng, false)
	var want float64
	for _, v := range m.KLPerDim(d) {
		want += v * 40
	}
	if math.Abs(kl-want) > tol*math.Abs(want) {
		t.Errorf("loss KL %.12g, KLPerDim sum %.12g", kl, want)
	}
}

// TestDeterministic trains the same model with 1 and 2 threads and with
// GOMAXPROCS 1 and 2 and requires identical parameters, bit for bit.
// It covers the weighted objective, whose minibatch terms couple the rows.
func TestDeterministic(t *testing.T) {
	for _, w := range []Weights{{}, {Rec: 10, MI: 1, DimKL: 10}} {
		train := func(threads, procs int) []float64 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			rng := rand.New(rand.NewPCG(9, 9))
			d := randData(rng, 300, 6, 3)
			v := randData(rng, 50, 6, 3)
			m, _, err := Train(context.Background(), d, v, &Settings{Latent: 3, Hidden: []int{70, 20}, Prior: SegmentPrior,
				Segments: 3, EncoderSeesSegment: true, Epochs: 3, BatchSize: 64, Threads: threads, Channels: 2,
				FullCovariance: w != Weights{}, Weights: w}, rng, nil)
			if err != nil {
				t.Fatal(err)
			}
			return m.p64
		}
		ref := train(1, 1)
		for _, c := range []struct{ threads, procs int }{{2, 2}, {0, 2}, {3, 2}, {0, 1}} {
			got := train(c.threads, c.procs)
			for i := range ref {
				if math.Float64bits(ref[i]) != math.Float64bits(got[i]) {
					t.Fatalf("weights %+v, threads=%d GOMAXPROCS=%d: parameter %d is %v, with 1 thread %v", w, c.threads, c.procs, i, got[i], ref[i])
				}
			}
		}
	}
}

// TestPPCA trains a linear VAE on data from probabilistic PCA (Tipping and
// Bishop 1999), where the model's own marginal log p(x) = log N(x; b,
// W Wᵀ + diag σ²) is exact, and checks ELBO <= log p(x) ≈ IWAE.
func TestPPCA(t *testing.T) {
	const (
		dim, K, n = 5, 2, 2000
		// slack: the ELBO is a Monte-Carlo mean over n rows; its standard
		// error here is about 1e-3 nats.
		slack  = 5e-3
		iwaeTo = 0.01 // the 1% bound
	)
	rng := rand.New(rand.NewPCG(11, 12))
	W := mat.NewDense(dim, K, nil)
	b := make([]float64, dim)
	sig := make([]float64, dim)
	for i := range dim {
		for k := range K {
			W.Set(i, k, rng.NormFloat64())
		}
		b[i] = rng.NormFloat64()
		sig[i] = 0.3 + 0.3*rng.Float64()
	}
	x := make([]float64, n*dim)
	for r := range n {
		z := []float64{rng.NormFloat64(), rng.NormFloat64()}
		for i := range dim {
			x[r*dim+i] = b[i] + W.At(i, 0)*z[0] + W.At(i, 1)*z[1] + sig[i]*rng.NormFloat64()
		}
	}
	d := Data{X: Matrix(x, dim)}
	truth := gaussLogLik(x, dim, b, W, sig)
	m, _, err := Train(context.Background(), d, Data{}, &Settings{Latent: K, Hidden: []int{}, Epochs: 150,
		BatchSize: 100, LearningRate: 1e-2, LRDecay: 0.98}, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	// the model's own exact marginal: x = z Wd + bd + noise
	dec := m.lay.dec[0]
	Wd := mat.NewDense(dim, K, nil)
	for k := range K {
		for i := range dim {
			Wd.Set(i, k, m.p64[dec.w+k*dim+i])
		}
	}
	lv := m.ObsLogVar()
	sd := make([]float64, dim)
	for i := range sd {
		sd[i] = math.Exp(0.5 * lv[i])
	}
	exact := gaussLogLik(x, dim, m.p64[dec.b:dec.b+dim], Wd, sd)
	elbo := m.ELBO(d, rng)
	iw := m.IWAE(d, 1000, rng)
	t.Logf("mean log p(x): generating model %.4f, trained model %.4f; ELBO %.4f; IWAE(1000) %.4f", truth, exact, elbo, iw)
	if elbo > exact+slack {
		t.Errorf("ELBO %.4f > exact log p(x) %.4f", elbo, exact)
	}
	if math.Abs(iw-exact) > iwaeTo*math.Abs(exact) {
		t.Errorf("IWAE %.4f not within 1%% of exact log p(x) %.4f", iw, exact)
	}
	if iw < elbo-slack {
		t.Errorf("IWAE %.4f below ELBO %.4f", iw, elbo)
	}
	if math.Abs(exact-truth) > 0.02*math.Abs(truth) {
		t.Errorf("trained model's log p(x) %.4f far from the generating model's %.4f", exact, truth)
	}
}

// gaussLogLik is the mean over rows of log N(x; b, W Wᵀ + diag(sd²)).
func gaussLogLik(x []float64, dim int, b []float64, W *mat.Dense, sd []float64) float64 {
	var C mat.SymDense
	C.SymOuterK(1, W)
	for i := range dim {
		C.SetSym(i, i, C.At(i, i)+sd[i]*sd[i])
	}
	var ch mat.Cholesky
	if !ch.Factorize(&C) {
		panic("not positive definite")
	}
	logdet := ch.LogDet()
	n := len(x) / dim
	var sum float64
	r := mat.NewVecDense(dim, nil)
	var y mat.VecDense
	for i := range n {
		for j := range dim {
			r.SetVec(j, x[i*dim+j]-b[j])
		}
		if err := ch.SolveVecTo(&y, r); err != nil {
			panic(err)
		}
		sum += -0.5 * (float64(dim)*log2Pi + logdet + mat.Dot(r, &y))
	}
	return sum / float64(n)
}

func TestSaveLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	d := randData(rng, 100, 4, 2)
	m, _, err := Train(context.Background(), d, Data{}, &Settings{Latent: 2, Hidden: []int{6}, Prior: SegmentPrior,
		Segments: 2, Epochs: 2}, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	got, err := Load(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	mu1, lv1 := make([]float64, 200), make([]float64, 200)
	mu2, lv2 := make([]float64, 200), make([]float64, 200)
	m.Encode(d, mu1, lv1)
	got.Encode(d, mu2, lv2)
	for i := range mu1 {
		if mu1[i] != mu2[i] || lv1[i] != lv2[i] {
			t.Fatalf("encoding %d differs after Load: %v %v vs %v %v", i, mu1[i], lv1[i], mu2[i], lv2[i])
		}
	}
	if g, w := got.Settings(), m.Settings(); g.Latent != w.Latent || g.Prior != w.Prior || len(g.Hidden) != len(w.Hidden) {
		t.Errorf("settings after Load %+v, want %+v", g, w)
	}

	hdrEnd := len(fileMagic) + 8 + int(binary.LittleEndian.Uint32(file[len(fileMagic)+4:]))
	newer := bytes.Clone(file)
	binary.LittleEndian.PutUint32(newer[len(fileMagic):], fileVersion+1)
	flipParam := bytes.Clone(file)
	flipParam[hdrEnd+5] ^= 0x10
	flipCRC := bytes.Clone(file)
	flipCRC[len(flipCRC)-1] ^= 1
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"not a model", []byte("time,a,b\n1,2,3\n"), ErrFormat},
		{"newer version", newer, ErrVersion},
		{"truncated in magic", file[:4], ErrTruncated},
		{"truncated in header", file[:hdrEnd-3], ErrTruncated},
		{"truncated in parameters", file[:hdrEnd+20], ErrTruncated},
		{"truncated checksum", file[:len(file)-1], ErrTruncated},
		{"corrupted parameter", flipParam, ErrChecksum},
		{"corrupted checksum", flipCRC, ErrChecksum},
	} {
		_, err := Load(bytes.NewReader(c.data))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	d := randData(rng, 2000, 4, 0)
	ctx, cancel := context.WithCancel(context.Background())
	epochs := 0
	_, _, err := Train(ctx, d, Data{}, &Settings{Epochs: 50, BatchSize: 32}, rng, func(p Progress) {
		epochs++
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if epochs != 1 {
		t.Errorf("%d epochs reported after cancelling in the first", epochs)
	}
}

// TestNaNRecovery trains with an absurd learning rate so that the
// parameters overflow, and checks that training rolls back, halves the
// learning rate, reports it and ends with a finite model.
func TestNaNRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	d := randData(rng, 200, 3, 0)
	const lr = 100 // with Adam, steps of about lr: the first ones overflow
	var events []string
	m, h, err := Train(context.Background(), d, Data{}, &Settings{Latent: 2, Hidden: []int{8}, Epochs: 20, BatchSize: 20,
		LearningRate: lr, ClipNorm: -1, Activation: Identity}, rng, func(p Progress) {
		if p.Event != "" {
			events = append(events, p.Event)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.Recoveries == 0 || len(events) != h.Recoveries || !strings.Contains(events[0], "rolled back") {
		t.Fatalf("recoveries %d, events %q", h.Recoveries, events)
	}
	if !finite(m.p64) {
		t.Error("model parameters not finite")
	}
}

func TestTrainErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	good := randData(rng, 20, 3, 2)
	nan := randData(rng, 20, 3, 0)
	nan.X.Row(5)[1] = math.NaN()
	for _, c := range []struct {
		name         string
		train, valid Data
		s            Settings
		want         error
	}{
		{"no data", Data{}, Data{}, Settings{}, ErrEmpty},
		{"validation shape", good, randData(rng, 5, 4, 0), Settings{}, ErrShape},
		{"missing segments", Data{X: good.X}, Data{}, Settings{Prior: SegmentPrior, Segments: 2}, ErrSegment},
		{"segment out of range", good, Data{}, Settings{Prior: SegmentPrior, Segments: 1}, ErrSegment},
		{"segments without count", good, Data{}, Settings{Prior: SegmentPrior}, ErrSettings},
		{"NaN", nan, Data{}, Settings{}, ErrNonFinite},
		{"channels", good, Data{}, Settings{Channels: 2}, ErrSettings},
		{"hidden", good, Data{}, Settings{Hidden: []int{0}}, ErrSettings},
		{"lr decay", good, Data{}, Settings{LRDecay: 2}, ErrSettings},
		{"negative weight", good, Data{}, Settings{Weights: Weights{Rec: 1, DimKL: -1}}, ErrSettings},
		{"no reconstruction weight", good, Data{}, Settings{Weights: Weights{MI: 1}}, ErrSettings},
		{"infinite weight", good, Data{}, Settings{Weights: Weights{Rec: math.Inf(1)}}, ErrSettings},
	} {
		_, _, err := Train(context.Background(), c.train, c.valid, &c.s, rng, nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestSetThreads: the thread count is recorded (0 meaning GOMAXPROCS) and
// does not change what the model computes.
func TestSetThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := randData(rng, 200, 4, 0)
	m, _, err := Train(context.Background(), d, Data{}, &Settings{Latent: 2, Hidden: []int{8}, Epochs: 3, BatchSize: 50, Threads: 1}, rng, nil)
	if err != nil {
		t.Fatal(err)
	}
	mu1, lv1 := make([]float64, 200*2), make([]float64, 200*2)
	m.Encode(d, mu1, lv1)
	m.SetThreads(3)
	if th := m.Settings().Threads; th != 3 {
		t.Errorf("Threads %d after SetThreads(3)", th)
	}
	mu3, lv3 := make([]float64, 200*2), make([]float64, 200*2)
	m.Encode(d, mu3, lv3)
	if !slices.Equal(mu1, mu3) || !slices.Equal(lv1, lv3) {
		t.Error("the encoding changed with the number of threads")
	}
	m.SetThreads(0)
	if th := m.Settings().Threads; th != runtime.GOMAXPROCS(0) {
		t.Errorf("Threads %d after SetThreads(0), want GOMAXPROCS %d", th, runtime.GOMAXPROCS(0))
	}
}

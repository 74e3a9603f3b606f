package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/ica/synth"
	"github.com/vica-dev/vica/selection"
)

const airQuality = "../../../shared/data/airquality/AirQualityUCI.csv"

// vica runs the command line in-process and returns its exit code and output.
func vica(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodesAndMessages(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.csv", "time,a,b\n1,1,2\n2,2,3\n3,4,1\n")
	cases := []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"version", []string{"version"}, exitOK, nil},
		{"unknown command", []string{"frobnicate"}, exitUsage, []string{"unknown command"}},
		{"unknown flag", []string{"describe", good, "--bogus"}, exitUsage, []string{"unknown flag"}},
		{"no file", []string{"describe"}, exitUsage, []string{"takes 1 argument"}},
		{"bad policy", []string{"describe", good, "--missing", "guess"}, exitUsage, []string{"--missing"}},
		{"missing file", []string{"describe", filepath.Join(dir, "nope.csv")}, exitFailure, []string{"nope.csv"}},
		{"empty file", []string{"describe", writeFile(t, dir, "empty.csv", "")}, exitFailure, []string{"empty.csv"}},
		{"header only", []string{"describe", writeFile(t, dir, "head.csv", "a,b\n")}, exitFailure, []string{"head.csv"}},
		{"ragged", []string{"describe", writeFile(t, dir, "ragged.csv", "a,b\n1,2\n3\n")}, exitFailure, []string{"ragged.csv", "line 3"}},
		{"non-numeric", []string{"describe", writeFile(t, dir, "text.csv", "a,b\n1,2\n3,x\n")}, exitFailure, []string{"text.csv", "line 3", `"b"`, "--skip-non-numeric", "--na"}},
		{"ambiguous date", []string{"describe", writeFile(t, dir, "date.csv", "Date,Time,a\n01/02/2004,10:00:00,1\n")}, exitFailure, []string{"date.csv", "--date-format"}},
		{"bad date format", []string{"describe", good, "--date-format", "yy"}, exitUsage, []string{"--date-format"}},
		{"duplicate names", []string{"describe", writeFile(t, dir, "dup.csv", "a,a\n1,2\n")}, exitFailure, []string{"dup.csv", `"a"`}},
		{"infinity", []string{"describe", writeFile(t, dir, "inf.csv", "a,b\n1,2\n3,Inf\n")}, exitFailure, []string{"inf.csv"}},
		{"decreasing time", []string{"describe", writeFile(t, dir, "time.csv", "time,a\n2,1\n1,2\n")}, exitFailure, []string{"time.csv", "line 3"}},
		{"unknown extension", []string{"describe", writeFile(t, dir, "data.xlsx", "x")}, exitFailure, []string{"unknown extension", ".parquet"}},
		{"unknown column", []string{"describe", good, "--columns", "zz"}, exitFailure, []string{"zz", `"a"`}},
		{"convert to unknown", []string{"convert", good, filepath.Join(dir, "out.xyz")}, exitFailure, []string{"unknown extension"}},
		{"describe ok", []string{"describe", good}, exitOK, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := vica(t, c.args...)
			if code != c.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not contain %q", stderr, w)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out.xyz")); err == nil {
		t.Error("a failed convert left an output file")
	}
}

// TestDescribeAirQuality checks the acceptance case on the real
// recording: 13 numeric channels, hourly from 2004-03-10 18:00 to
// 2005-04-04 14:00, with the -200 sentinel read as missing. The expected
// missing counts were counted independently with awk over the raw file
// (fields equal to -200 per column).
func TestDescribeAirQuality(t *testing.T) {
	if _, err := os.Stat(airQuality); err != nil {
		t.Skip("shared air-quality data not present")
	}
	code, out, stderr := vica(t, "describe", airQuality, "--na", "-200", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d description
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Rows != 9357 || d.Channels != 13 {
		t.Fatalf("rows %d channels %d, want 9357 and 13", d.Rows, d.Channels)
	}
	if d.Time == nil || d.Time.Start != "2004-03-10T18:00:00Z" || d.Time.End != "2005-04-04T14:00:00Z" || d.Time.Interval != 3600 {
		t.Fatalf("time %+v", d.Time)
	}
	want := map[string]int{"CO_GT": 1683, "NMHC_GT": 8443, "NOx_GT": 1639, "NO2_GT": 1642, "T": 366}
	for _, c := range d.Columns {
		if n, ok := want[c.Name]; ok && c.Missing != n {
			t.Errorf("%s: %d missing, want %d", c.Name, c.Missing, n)
		}
	}
}

// TestConvertRoundTrip converts CSV to Arrow to Parquet to Arrow stream and
// back to CSV, and expects the same bytes: values are written in the
// shortest form that round-trips, so any change of value would show.
func TestConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "in.csv", "time,a,b\n2024-01-01T00:00:00Z,1.5,\n2024-01-01T01:00:00Z,0.1,-3e-300\n2024-01-01T02:00:00Z,1e+300,2.2250738585072014e-308\n")
	chain := []string{src, filepath.Join(dir, "a.arrow"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "c.arrows"), filepath.Join(dir, "out.csv")}
	for i := 0; i+1 < len(chain); i++ {
		if code, _, stderr := vica(t, "convert", chain[i], chain[i+1]); code != exitOK {
			t.Fatalf("convert %s -> %s: exit %d: %s", chain[i], chain[i+1], code, stderr)
		}
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(chain[len(chain)-1])
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip changed the file:\n%s\nwant:\n%s", b, a)
	}
}

// TestSimulateReproducible checks that the same seed writes the same files.
func TestSimulateReproducible(t *testing.T) {
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		out := filepath.Join(dir, "run"+string(rune('0'+i))+".csv")
		if code, _, stderr := vica(t, "simulate", "-o", out, "--sources", "2", "--segments", "4", "--segment-length", "50", "--seed", "3"); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		files[i], _ = os.ReadFile(out)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("same seed gave different data")
	}
}

// TestSimulateInformation: with noise, simulate prints each source's
// information, the figures of synth.Dataset.Information for the settings it
// wrote; without noise it prints none.
func TestSimulateInformation(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "noisy.csv")
	code, _, stderr := vica(t, "simulate", "-o", out, "--sources", "3", "--channels", "4", "--segments", "4", "--segment-length", "100", "--snr", "20", "--seed", "3")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	js, err := os.ReadFile(filepath.Join(dir, "noisy.settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s synth.Settings
	if err := json.Unmarshal(js, &s); err != nil {
		t.Fatal(err)
	}
	ds, err := synth.Generate(&s)
	if err != nil {
		t.Fatal(err)
	}
	info := ds.Information()
	want := fmt.Sprintf("nats per step: s1 %.3f, s2 %.3f, s3 %.3f\n", info[0], info[1], info[2])
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q lacks %q", stderr, want)
	}
	code, _, stderr = vica(t, "simulate", "-o", filepath.Join(dir, "clean.csv"), "--sources", "3", "--segments", "4", "--segment-length", "100", "--seed", "3")
	if code != exitOK || strings.Contains(stderr, "nats") {
		t.Errorf("noise-free: exit %d, stderr %q", code, stderr)
	}
}

// TestFitTransform fits a small simulated dataset, checks that the sources
// file lines up with the input and that transform with the saved model
// gives the same sources (the model is deterministic given its file).
func TestFitTransform(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim.csv")
	if code, _, stderr := vica(t, "simulate", "-o", sim, "--sources", "2", "--segments", "10", "--segment-length", "200", "--layers", "1", "--seed", "2"); code != exitOK {
		t.Fatalf("simulate: exit %d: %s", code, stderr)
	}
	est, model := filepath.Join(dir, "est.csv"), filepath.Join(dir, "m.vica")
	report := filepath.Join(dir, "report.html")
	code, out, stderr := vica(t, "fit", sim, "--sources", "2", "--epochs", "5", "-o", est, "--model", model, "--json", "--report", report)
	if code != exitOK {
		t.Fatalf("fit: exit %d: %s", code, stderr)
	}
	var sum fitOutput
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("fit --json: %v\n%s", err, out)
	}
	if sum.Rows != 2000 || len(sum.Summary.Channels) != 2 {
		t.Fatalf("summary: %+v", sum)
	}
	html, err := os.ReadFile(report)
	if err != nil || !bytes.Contains(html, []byte("<svg")) || !bytes.HasSuffix(bytes.TrimSpace(html), []byte("</html>")) {
		t.Fatalf("report: %v; %d bytes, want a whole HTML page with inline SVG plots", err, len(html))
	}
	est2 := filepath.Join(dir, "est2.csv")
	if code, _, stderr := vica(t, "transform", model, sim, "-o", est2); code != exitOK {
		t.Fatalf("transform: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(est)
	b, _ := os.ReadFile(est2)
	if !bytes.Equal(a, b) {
		t.Fatal("transform of the training data differs from fit's sources")
	}
	if lines := bytes.Count(a, []byte("\n")); lines != 2001 {
		t.Fatalf("sources file has %d lines, want 2001 (header + one per input row)", lines)
	}
	// Bad requests: more sources than channels, a model on other channels.
	if code, _, stderr := vica(t, "fit", sim, "--sources", "3"); code != exitFailure || !strings.Contains(stderr, "3 sources") {
		t.Errorf("fit --sources 3 on 2 channels: exit %d, stderr %q", code, stderr)
	}
	other := writeFile(t, dir, "other.csv", "t,y1,y2\n0,1,2\n1,2,3\n")
	if code, _, stderr := vica(t, "transform", model, other); code != exitFailure || !strings.Contains(stderr, `"x1"`) {
		t.Errorf("transform on other channels: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := vica(t, "transform", other, sim); code != exitFailure || !strings.Contains(stderr, "other.csv") {
		t.Errorf("transform with a CSV as model: exit %d, stderr %q", code, stderr)
	}
}

// TestCount checks the pipeline contract of count: stdout holds just the
// integer, --json the whole estimate with its stable field names. (Whether
// the count is right is selection's tests' and benchmark's business.)
func TestCount(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim.csv")
	if code, _, stderr := vica(t, "simulate", "-o", sim, "--sources", "2", "--channels", "3", "--segments", "10", "--segment-length", "200", "--layers", "2", "--seed", "4"); code != exitOK {
		t.Fatalf("simulate: exit %d: %s", code, stderr)
	}
	code, out, stderr := vica(t, "count", sim, "--max-sources", "3", "-q")
	if code != exitOK {
		t.Fatalf("count: exit %d: %s", code, stderr)
	}
	k, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || k < 1 || k > 3 || stderr != "" {
		t.Fatalf("count -q printed %q on stdout and %q on stderr, want one integer in [1, 3] and nothing else", out, stderr)
	}
	code, out, stderr = vica(t, "count", sim, "--max-sources", "3", "--json")
	if code != exitOK {
		t.Fatalf("count --json: exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("count --json: %v\n%s", err, out)
	}
	for _, key := range []string{"sources", "kl_count", "elbo_count", "agree", "confidence", "per_dim_kl", "sweep"} {
		if _, ok := r[key]; !ok {
			t.Errorf("count --json lacks %q", key)
		}
	}
	if int(r["sources"].(float64)) != k {
		t.Errorf("--json says %v sources, the plain output %d: the same seed must give the same count", r["sources"], k)
	}
	if code, _, _ := vica(t, "count", sim, "--rule", "guess"); code != exitUsage {
		t.Errorf("count --rule guess: exit %d, want %d", code, exitUsage)
	}
	for _, bad := range []string{"-0.1", "1.5", "NaN"} {
		if code, _, _ := vica(t, "count", sim, "--min-confidence", bad); code != exitUsage {
			t.Errorf("count --min-confidence %s: exit %d, want %d", bad, code, exitUsage)
		}
	}
	// a count at or above the minimum is printed as without it
	conf := r["confidence"].(float64)
	code, out, stderr = vica(t, "count", sim, "--max-sources", "3", "-q", "--min-confidence", fmt.Sprint(conf))
	if code != exitOK || strings.TrimSpace(out) != strconv.Itoa(k) {
		t.Errorf("count --min-confidence %g (its own confidence): exit %d, stdout %q, want 0 and %d; stderr:\n%s", conf, code, out, k, stderr)
	}
}

// TestFitMinConfidence checks that fit --sources auto with a minimum
// confidence the count does not reach stops with exit code 3 before
// fitting, leaving no output. The dataset is one the count finds hard (3
// sources through 3 layers into 3 noise-free channels: confidence 0.50
// here); where its confidence is 1 there is nothing to withhold, and the
// rule is covered by TestCountDoubtful.
func TestFitMinConfidence(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "hard.csv")
	if code, _, stderr := vica(t, "simulate", "-o", sim, "--sources", "3", "--channels", "3", "--layers", "3",
		"--segments", "20", "--segment-length", "250", "--seed", "144102"); code != exitOK {
		t.Fatalf("simulate: exit %d: %s", code, stderr)
	}
	code, out, stderr := vica(t, "count", sim, "--json", "-q")
	if code != exitOK {
		t.Fatalf("count --json: exit %d: %s", code, stderr)
	}
	var r struct{ Confidence float64 }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Confidence == 1 {
		t.Skip("the count has confidence 1 on this platform: nothing to withhold")
	}
	src, model := filepath.Join(dir, "src.csv"), filepath.Join(dir, "m.vica")
	code, _, stderr = vica(t, "fit", sim, "-o", src, "--model", model, "--min-confidence", "1", "-q")
	if code != exitDoubt || !strings.Contains(stderr, "hard.csv") || !strings.Contains(stderr, "--min-confidence 1") {
		t.Errorf("fit --min-confidence 1 at confidence %.2f: exit %d, want %d; stderr:\n%s", r.Confidence, code, exitDoubt, stderr)
	}
	for _, p := range []string{src, model} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("fit withheld the count but wrote %s", p)
		}
	}
}

// TestIdentifiabilityWarning checks the warning for too few segments:
// the rule, and that fit prints it on a short recording (one segment).
func TestIdentifiabilityWarning(t *testing.T) {
	comps := make([]ica.Component, 2)
	for _, c := range []struct {
		prior    string
		segments int
		want     bool
	}{{"segment", 1, true}, {"segment", 4, true}, {"segment", 5, false}, {"standard-normal", 1, false}} {
		got := identifiability(ica.Summary{Components: comps, Prior: c.prior, Segments: c.segments})
		if (got != "") != c.want {
			t.Errorf("%s prior, %d segments, 2 sources: warning %q, want one: %v", c.prior, c.segments, got, c.want)
		}
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,b,c\n")
	for i := range 30 {
		fmt.Fprintf(&b, "%g,%g,%g\n", math.Sin(float64(i)), math.Cos(1.3*float64(i)), math.Sin(0.4*float64(i)))
	}
	short := writeFile(t, dir, "short.csv", b.String())
	code, _, stderr := vica(t, "fit", short, "--sources", "2", "-o", filepath.Join(dir, "s.csv"), "-q")
	if code != exitOK || !strings.Contains(stderr, "warning: 1 segment(s) for 2 sources") {
		t.Errorf("fit on 30 rows: exit %d, stderr %q, want 0 and the warning", code, stderr)
	}
}

// TestCountDoubtful checks the rule behind count --min-confidence, its
// exit code and that its message names the file and the figures.
func TestCountDoubtful(t *testing.T) {
	r := &selection.Result{K: 4, Confidence: 0.5}
	for _, c := range []struct {
		min  float64
		want bool
	}{{0, false}, {0.5, false}, {0.75, true}, {1, true}} {
		err := doubtful("x.csv", r, c.min)
		if (err != nil) != c.want {
			t.Errorf("confidence 0.5, --min-confidence %g: withheld %v, want %v", c.min, err != nil, c.want)
		}
	}
	err := doubtful("x.csv", r, 1)
	if code := exitCode(err); code != exitDoubt {
		t.Errorf("withheld count: exit code %d, want %d", code, exitDoubt)
	}
	for _, want := range []string{`"x.csv"`, "count 4", "confidence 0.50", "--min-confidence 1", "--json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

// TestSentinelWarning checks that a numeric missing-value marker left
// undeclared is pointed out (describe and fit), and not once declared.
func TestSentinelWarning(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := range 200 {
		a := fmt.Sprint(float64(i%17) + 0.5*float64(i%5))
		if i%10 == 3 {
			a = "-200"
		}
		fmt.Fprintf(&b, "%s,%d\n", a, i%7)
	}
	p := writeFile(t, dir, "s.csv", b.String())
	_, out, _ := vica(t, "describe", p)
	if !strings.Contains(out, "--na -200") || strings.Contains(out, `"b"`) {
		t.Errorf("describe without --na: want a warning about -200 in a and none about b:\n%s", out)
	}
	if _, out, _ := vica(t, "describe", p, "--na", "-200"); strings.Contains(out, "--na -200") {
		t.Errorf("describe --na -200 still warns:\n%s", out)
	}
}

// TestFitObjective checks that --objective reaches the model and that a
// bad value is a usage error.
func TestFitObjective(t *testing.T) {
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim.csv")
	if code, _, stderr := vica(t, "simulate", "-o", sim, "--sources", "2", "--segments", "10", "--segment-length", "100", "--layers", "2", "--seed", "5"); code != exitOK {
		t.Fatalf("simulate: exit %d: %s", code, stderr)
	}
	if code, _, stderr := vica(t, "fit", sim, "--sources", "2", "--epochs", "3", "--objective", "weighted", "-o", filepath.Join(dir, "s.csv")); code != exitOK {
		t.Fatalf("fit --objective weighted: exit %d: %s", code, stderr)
	}
	if code, _, _ := vica(t, "fit", sim, "--objective", "bogus"); code != exitUsage {
		t.Errorf("fit --objective bogus: exit %d, want %d", code, exitUsage)
	}
}

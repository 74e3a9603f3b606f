package main

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"

	"path/filepath"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/vica-dev/vica/ica"
	"github.com/vica-dev/vica/timeseries"
)

// sweepPoint is one latent size of the held-out bound sweep.
type sweepPoint struct {
	K      int
	Bound  float64 // mean held-out bound per window
	StdErr float64
}

// reportData is what the HTML report shows.
type reportData struct {
	File     string
	Made     string
	Rows     int
	Summary  ica.Summary
	Rhythms  []rhythm
	Sources  *timeseries.Frame
	KL       []float64    // per latent dimension of the model with the most dimensions, in decreasing order
	Sweep    []sweepPoint // empty without --sources auto
	Chosen   int          // the number of sources chosen, 0 if given
	Messages []string
}

// maxPlotPoints bounds the points drawn per source so the report stays
// small: longer series are decimated by taking every n-th value.
const maxPlotPoints = 4000

// writeReport writes a self-contained HTML report (plots inline as SVG) to
// path through a temporary file.
func writeReport(path string, d *reportData) error {
	var plots []template.HTML
	if d.Sources != nil && d.Sources.Channels() > 0 {
		svg, err := sourcesPlot(d.Sources)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		plots = append(plots, svg)
	}
	var klSVG, sweepSVG template.HTML
	var err error
	if len(d.KL) > 0 {
		if klSVG, err = klPlot(d.KL); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if len(d.Sweep) > 0 {
		if sweepSVG, err = sweepPlot(d.Sweep, d.Chosen); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	var b bytes.Buffer
	err = reportTemplate.Execute(&b, map[string]any{
		"D": d, "Sources": plots, "KL": klSVG, "Sweep": sweepSVG,
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("report %q: %w", path, err)
	}
	return nil
}

func svgOf(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	return inlineSVG(c)
}

// inlineSVG returns the canvas as an SVG element to inline in HTML, without
// the XML declaration.
func inlineSVG(c *vgsvg.Canvas) (template.HTML, error) {
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := bytes.Index(b.Bytes(), []byte("<svg")); i > 0 {
		s = s[i:]
	}
	return template.HTML(s), nil // produced by vgsvg from numbers and our labels
}

func sourcesPlot(src *timeseries.Frame) (template.HTML, error) {
	n, k := src.Rows(), src.Channels()
	step := max(1, n/maxPlotPoints)
	ix := src.Index()
	xs := func(t int) float64 {
		if ix.Kind == timeseries.TimeIndex {
			return float64(ix.Times[t]) / 1e9
		}
		return ix.Float(t)
	}
	rows := make([][]*plot.Plot, k)
	for c := range k {
		p := plot.New()
		p.Y.Label.Text = src.Names()[c]
		var pts plotter.XYs
		for t := 0; t < n; t += step {
			v := src.At(t, c)
			if !math.IsNaN(v) {
				pts = append(pts, plotter.XY{X: xs(t), Y: v})
			}
		}
		if len(pts) > 0 {
			l, err := plotter.NewLine(pts)
			if err != nil {
				return "", err
			}
			l.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
			p.Add(l)
		}
		if ix.Kind == timeseries.TimeIndex {
			p.X.Tick.Marker = plot.TimeTicks{Format: "2006-01-02\n15:04"}
		}
		if c == k-1 {
			p.X.Label.Text = ix.Name
		}
		rows[c] = []*plot.Plot{p}
	}
	const rowH = 1.3 * vg.Inch
	w, h := 9*vg.Inch, rowH*vg.Length(k)
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: k, Cols: 1, PadY: 2}
	canvases := plot.Align(rows, tiles, dc)
	for i := range k {
		rows[i][0].Draw(canvases[i][0])
	}
	return inlineSVG(c)
}

func klPlot(kl []float64) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = "Mean KL per latent dimension"
	p.Y.Label.Text = "nats per time step"
	vals := make(plotter.Values, len(kl))
	names := make([]string, len(kl))
	for i, v := range kl {
		vals[i] = v
		names[i] = fmt.Sprint(i + 1)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return "", err
	}
	bars.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	p.Add(bars)
	p.NominalX(names...)
	p.X.Label.Text = "dimension (by decreasing KL)"
	line := plotter.NewFunction(func(float64) float64 { return ica.ActiveKL })
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(line)
	return svgOf(p, 6*vg.Inch, 3*vg.Inch)
}

func sweepPlot(sw []sweepPoint, chosen int) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = "Held-out bound against the number of sources"
	p.X.Label.Text = "K"
	p.Y.Label.Text = "importance-weighted bound per window"
	pts := make(plotter.XYs, len(sw))
	errs := make(plotter.YErrors, len(sw))
	for i, s := range sw {
		pts[i] = plotter.XY{X: float64(s.K), Y: s.Bound}
		errs[i].Low, errs[i].High = s.StdErr, s.StdErr
	}
	lp, lpts, err := plotter.NewLinePoints(pts)
	if err != nil {
		return "", err
	}
	p.Add(lp, lpts)
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{pts, errs})
	if err != nil {
		return "", err
	}
	p.Add(eb)
	if chosen > 0 {
		for _, s := range sw {
			if s.K == chosen {
				sc, err := plotter.NewScatter(plotter.XYs{{X: float64(s.K), Y: s.Bound}})
				if err != nil {
					return "", err
				}
				sc.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
				sc.Radius = vg.Points(5)
				p.Add(sc)
				p.Legend.Add(fmt.Sprintf("chosen K = %d", chosen), sc)
			}
		}
	}
	return svgOf(p, 6*vg.Inch, 3*vg.Inch)
}

func reportTitle(path string) string { return "vica: " + filepath.Base(path) }

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"title": reportTitle,
	"f3":    func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"stab": func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.3f", v)
	},
	"rhythm": func(rs []rhythm, i int) string {
		if i < len(rs) && rs[i].Period != "" {
			if !rs[i].Seconds {
				return rs[i].Period
			}
			return fmt.Sprintf("%s (%.3g Hz)", rs[i].Period, rs[i].Hz)
		}
		return "-"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{title .D.File}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.note{color:#666;font-size:.9em}
</style></head><body>
<h1>{{title .D.File}}</h1>
<p class="note">Made by vica on {{.D.Made}}.</p>
<p>{{.D.Rows}} rows, {{len .D.Summary.Channels}} channels used ({{range $i, $c := .D.Summary.Channels}}{{if $i}}, {{end}}{{$c}}{{end}}).
{{if .D.Summary.Dropped}}Left out as linear combinations of others: {{range $i, $d := .D.Summary.Dropped}}{{if $i}}, {{end}}{{$d.Channel}}{{end}}.{{end}}
{{.D.Summary.Active}} active sources of {{len .D.Summary.Components}} fitted; prior {{.D.Summary.Prior}}, {{.D.Summary.Segments}} segments, window {{.D.Summary.Window}}.</p>
{{range .D.Messages}}<p>{{.}}</p>{{end}}
<h2>Sources</h2>
<table><tr><th>source</th><th>KL (nats)</th><th>stability</th><th>nearest channel</th><th>correlation</th><th>dominant period</th></tr>
{{range $i, $c := .D.Summary.Components}}{{if $c.Active}}<tr><td>{{$c.Name}}</td><td>{{f3 $c.KL}}</td><td>{{stab $c.Stability}}</td><td>{{$c.Channel}}</td><td>{{f3 $c.Correlation}}</td><td>{{rhythm $.D.Rhythms $i}}</td></tr>{{end}}{{end}}
</table>
{{range .Sources}}<div>{{.}}</div>{{end}}
{{if .KL}}<h2>Information per latent dimension</h2>
<p class="note">Dimensions whose mean KL falls below the dashed line ({{f3 0.01}} nats) carry no information and are left out.</p>
<div>{{.KL}}</div>{{end}}
{{if .Sweep}}<h2>How many sources</h2><div>{{.Sweep}}</div>{{end}}
</body></html>
`))

// reportTime is the time written in reports; a variable so tests can fix it.
var reportTime = func() string { return time.Now().UTC().Format(time.RFC3339) }

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vica-dev/vica/vae"
)

// progress shows training progress on stderr: a bar redrawn in place on a
// terminal, plain lines (at most one a second, and every event) in a pipe or
// CI log, nothing with --quiet.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	quiet    bool
	label    string // what is being trained, e.g. "fit K=3 restart 2/3"
	epochs   int    // the maximum number of epochs, for the bar
	last     time.Time
	drawn    bool
}

func newProgress(w io.Writer, quiet bool) *progress {
	return &progress{w: w, quiet: quiet, terminal: isTerminal(w)}
}

// isTerminal reports whether w is a character device, such as a terminal,
// without a dependency: a pipe, a file or a CI log is not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// start begins a new training run.
func (p *progress) start(label string, epochs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
	p.label, p.epochs, p.last = label, epochs, time.Time{}
}

// update reports one epoch; it is safe for concurrent use.
func (p *progress) update(e vae.Progress) {
	if p == nil || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	valid := ""
	if !math.IsNaN(e.ValidELBO) {
		valid = fmt.Sprintf("  valid ELBO %.4g", e.ValidELBO)
	}
	text := fmt.Sprintf("%s  epoch %d  train ELBO %.4g%s  %s", p.label, e.Epoch, e.TrainELBO, valid, e.Elapsed.Round(100*time.Millisecond))
	if p.terminal {
		bar := ""
		if p.epochs > 0 {
			const width = 20
			n := min(width, e.Epoch*width/p.epochs)
			bar = "[" + strings.Repeat("#", n) + strings.Repeat(" ", width-n) + "] "
		}
		fmt.Fprintf(p.w, "\r\033[K%s%s", bar, text)
		p.drawn = true
		if e.Event != "" {
			fmt.Fprintf(p.w, "\n%s: %s\n", p.label, e.Event)
		}
		return
	}
	if e.Event != "" || time.Since(p.last) >= time.Second {
		fmt.Fprintln(p.w, text)
		if e.Event != "" {
			fmt.Fprintf(p.w, "%s: %s\n", p.label, e.Event)
		}
		p.last = time.Now()
	}
}

// finish ends the bar's line, if one was drawn.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
}

func (p *progress) finishLocked() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// say writes a message line on stderr unless --quiet.
func (p *progress) say(format string, args ...any) {
	if p == nil || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
	fmt.Fprintf(p.w, "vica: "+format+"\n", args...)
}

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws a progress bar with rate and ETA when out is a terminal; otherwise it
// stays quiet and the command prints its summary at the end.
type progress struct {
	out   io.Writer
	label string
	start time.Time
	last  time.Time
	tty   bool
}

func newProgress(out io.Writer, label string) *progress {
	tty := false
	if f, ok := out.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{out: out, label: label, start: time.Now(), tty: tty}
}

func (p *progress) update(done, total int) {
	if !p.tty || total == 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(done) / max(elapsed, 0.001)
	eta := "--"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 30
	filled := width * done / total
	fmt.Fprintf(p.out, "\r%s [%s%s] %d/%d  %.0f/s  ETA %s ", p.label, strings.Repeat("█", filled),
		strings.Repeat("·", width-filled), done, total, rate, eta)
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.out)
	}
}

package forms_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/engines/forms"
	"tierbase/templates/crm"
)

// BenchmarkSubmitLeadForm submits the 客户管理 template's 留资 form (客户, with its rules and
// flows) from 50 visitors at once, each from an address of its own, as bench --only forms
// does over HTTP: the captchas are made before the timer. Besides the time per submission
// it reports the submissions' p50 and p99 and the process's CPU time per submission.
func BenchmarkSubmitLeadForm(b *testing.B) {
	a, err := app.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, _, err := a.InstallDemo(ctx, crm.DemoOptions{Customers: 200, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	a.Forms.Digits = func() string { return "12345" }
	list, err := a.Forms.List(ctx, access.System)
	if err != nil {
		b.Fatal(err)
	}
	var token string
	for _, f := range list {
		if f.Title == crm.LeadForm {
			token = f.Token
		}
	}
	captchas := make([]string, b.N)
	for i := range captchas {
		c, err := a.Forms.NewCaptcha(ctx, token)
		if err != nil {
			b.Fatal(err)
		}
		captchas[i] = c.ID
	}
	next := make(chan int)
	var wg sync.WaitGroup
	took := make([]time.Duration, b.N)
	cpu := cpuTime()
	b.ResetTimer()
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				_, err := a.Forms.Submit(ctx, token, fmt.Sprintf("10.0.%d.%d", i>>8&255, i&255), forms.Submission{
					Values:  map[string]any{"客户名称": fmt.Sprintf("展会客户%d", i), "联系电话": fmt.Sprintf("139%08d", i), "客户来源": "展会"},
					Captcha: captchas[i], Answer: "12345"})
				took[i] = time.Since(start)
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e3, "cpu-µs/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[b.N/2])/1e6, "p50-ms")
	b.ReportMetric(float64(took[b.N*99/100])/1e6, "p99-ms")
}

// cpuTime returns the CPU time the process has used so far.
func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"tierbase/templates/crm"
)

var (
	hookPosts = flag.Int("hook-posts", 5000, "records added at concurrency --c with 5 webhook endpoints, each delivered to all five")
	hookSaves = flag.Int("hook-saves", 2000, "records added one at a time without, then with, the 5 endpoints, for the save overhead")
	formPosts = flag.Int("form-posts", 5000, "public form submissions at concurrency --c")
)

// hooksFigures measures issue 15's webhook and public form figures on a small 客户管理 demo,
// each beside a reference of the same server in the same run (--only hooks; --only webhooks
// or --only forms for one of them).
//
// The server runs with TIERBASE_TEST_CAPTCHA, so every captcha's answer is known (a bench
// cannot read the image either; each submission still fetches, and uses up, a captcha of
// its own), with --allow-outbound 127.0.0.1 for the receiver in this process, and behind a
// trusted proxy (--trusted-proxy 127.0.0.1): each submission comes from an address of its own
// in X-Forwarded-For, as visitors do through nginx, so the limit per address (30 in 10
// minutes) applies as it would and throttles nobody.
func hooksFigures(bin string, webhooks, forms bool) {
	data := filepath.Join(*work, "hooks")
	run(bin, "demo", "--data", data, "--customers", "2000", "--seed", "1")
	run(bin, "user", "create", "--data", data, "--email", "bench@example.com", "--password", "bench-password", "--role", "admin")
	os.Setenv("TIERBASE_TEST_CAPTCHA", "24680")
	srv, base := serve(bin, data, *port, "--allow-outbound", "127.0.0.1", "--trusted-proxy", "127.0.0.1")
	defer stop(srv)
	token := login(base)
	createTable(base, token)
	if webhooks {
		webhookFigures(base, token)
	}
	if forms {
		formFigures(base, token)
	}
}

// webhookFigures measures the webhooks on two tables of the same fields, bench_customers
// with no endpoint and bench_hooked with 5 endpoints wanting record.created (a local
// receiver, in this process):
//   - records added one at a time, alternating between the two tables, so both see the same
//     machine and the same deliveries going on: the difference of the p99s is the overhead of
//     the webhooks on a save; the time from each message's commit (its payload's timestamp,
//     taken in the saving transaction) to its first attempt arriving is measured meanwhile;
//   - then *hookPosts records added to bench_hooked at concurrency *conc: every message of the
//     five endpoints is delivered, counted from the first POST to the last delivery.
func webhookFigures(base, token string) {
	var mu sync.Mutex
	var delays []float64
	var last time.Time
	rc := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		var m struct{ Timestamp time.Time }
		json.Unmarshal(body, &m)
		mu.Lock()
		if r.Header.Get("webhook-id") != "" && !m.Timestamp.IsZero() {
			delays = append(delays, float64(now.Sub(m.Timestamp).Microseconds())/1000)
			last = now
		}
		mu.Unlock()
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go rc.Serve(ln)
	defer rc.Close()

	createTableNamed(base, token, "bench_hooked")
	for i := range 5 {
		req, _ := http.NewRequest("POST", base+"/api/webhooks", strings.NewReader(fmt.Sprintf(
			`{"name":"ERP %d","url":"http://%s/hook/%d","table":"bench_hooked","events":["record.created"],"enabled":true}`, i+1, ln.Addr(), i+1)))
		req.Header.Set("Authorization", "Bearer "+token)
		doJSON(req, 201, nil)
	}
	tables := []string{base + "/api/tables/bench_customers/records", base + "/api/tables/bench_hooked/records"}
	body := func(i int) []byte {
		return []byte(fmt.Sprintf(`{"code":"H%07d","name":"测试客户%d有限公司","phone":"138%08d","amount":%d.5}`, i, i, i, 1000+i%50000))
	}
	n := *hookSaves
	loadEach(token, n, 1, func(w, i int) (string, string, []byte) { return "POST", tables[i%2], body(i) }) // warm up
	waitDelivered(&mu, &delays, 5*n/2)
	mu.Lock()
	delays = nil
	mu.Unlock()
	lat, _ := loadEach(token, 2*n, 1, func(w, i int) (string, string, []byte) { return "POST", tables[i%2], body(n + i) })
	var without, with []float64
	for i, l := range lat {
		if i%2 == 0 {
			without = append(without, l)
		} else {
			with = append(with, l)
		}
	}
	record(fmt.Sprintf("save overhead of 5 active webhooks (record.created) on a table, POST one at a time, %d records each side, alternating", n),
		fmt.Sprintf("p99 %+.2f ms (p50 %+.2f ms)", pct(with, 99)-pct(without, 99), pct(with, 50)-pct(without, 50)), "≤ 1 ms p99",
		fmt.Sprintf("the same POSTs to a table without webhooks: p50 %.2f / p99 %.2f ms; with: p50 %.2f / p99 %.2f ms", pct(without, 50), pct(without, 99), pct(with, 50), pct(with, 99)))
	waitDelivered(&mu, &delays, 5*n)
	mu.Lock()
	record("webhook commit → first attempt, during the saves above (5 endpoints, local receiver)",
		fmt.Sprintf("p50 %.0f / p99 %.0f ms", pct(delays, 50), pct(delays, 99)), "p99 ≤ 1 s", "")
	delays = nil
	mu.Unlock()

	start := time.Now()
	_, postRate := loadEach(token, *hookPosts, *conc, func(w, i int) (string, string, []byte) { return "POST", tables[1], body(3*n + i) })
	waitDelivered(&mu, &delays, 5**hookPosts)
	mu.Lock()
	defer mu.Unlock()
	record(fmt.Sprintf("webhook deliveries to a local receiver: %d records added at c=%d, 5 endpoints each", *hookPosts, *conc),
		fmt.Sprintf("%.0f deliveries/s (commit → first attempt p99 %.0f ms behind the backlog)", float64(len(delays))/last.Sub(start).Seconds(), pct(delays, 99)),
		"≥ 1,000 deliveries/s", fmt.Sprintf("the POSTs alone: %.0f records/s", postRate))
}

// waitDelivered waits (up to a minute) until the receiver has n messages.
func waitDelivered(mu *sync.Mutex, delays *[]float64, n int) {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got := len(*delays)
		mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			fatalf("%d of %d webhook messages delivered after a minute", got, n)
		}
	}
}

// formFigures submits the template's 留资 form (客户, 留下联系方式) *formPosts times at
// concurrency *conc, each with a captcha fetched before the timing and from an address of its
// own; the reference is adding the same 客户 through the records API, signed in.
func formFigures(base, token string) {
	var forms struct {
		Items []struct{ Token, Title string }
	}
	get(base+"/api/forms", token, &forms)
	var link string
	for _, f := range forms.Items {
		if f.Title == crm.LeadForm {
			link = base + "/api/public/forms/" + f.Token
		}
	}
	if link == "" {
		fatalf("the demo has no form %s", crm.LeadForm)
	}
	n := *formPosts
	captchas := make([]string, n)
	loadEach("", n, *conc, func(w, i int) (string, string, []byte) { return "GET", link + "/captcha", nil }) // warm up
	for i := range captchas {
		var c struct{ ID string }
		get(link+"/captcha", "", &c)
		captchas[i] = c.ID
	}
	values := func(i int) map[string]any {
		return map[string]any{"客户名称": fmt.Sprintf("展会客户%d", i), "联系电话": fmt.Sprintf("139%08d", i), "客户来源": "展会"}
	}
	submissions := make([][]byte, n)
	for i := range submissions {
		submissions[i], _ = json.Marshal(map[string]any{"values": values(i), "captcha": captchas[i], "answer": "24680"})
	}
	lat, rate := loadEachWith(func(r *http.Request, i int) {
		r.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	},
		"", n, *conc, func(w, i int) (string, string, []byte) { return "POST", link, submissions[i] })
	adds := make([][]byte, n)
	for i := range adds {
		v := values(n + i)
		v["客户名称"] = fmt.Sprintf("录入客户%d", i)
		adds[i], _ = json.Marshal(v)
	}
	refLat, refRate := load(base+"/api/tables/"+url.PathEscape("客户")+"/records", token, "POST", adds, n, *conc)
	record(fmt.Sprintf("public form submission (客户, %s, captcha, rules on 客户), c=%d, %d submissions", crm.LeadForm, *conc, n),
		fmt.Sprintf("p50 %.1f / p99 %.1f ms (%.0f/s)", pct(lat, 50), pct(lat, 99), rate), "p99 ≤ 20 ms",
		fmt.Sprintf("adding the same 客户 signed in (POST records), c=%d: p50 %.1f / p99 %.1f ms (%.0f/s)", *conc, pct(refLat, 50), pct(refLat, 99), refRate))
}

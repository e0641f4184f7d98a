package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

var (
	eventsN         = flag.Int("events", 200_000, "events sent for the events figures, in batches of 1,000 and as many one at a time")
	eventCustomers  = flag.Int("event-customers", 10_000, "customers of the demo data --only events serves")
	eventsBatchConc = flag.Int("events-batch-c", 4, "concurrency of the batches of 1,000 events")
)

// eventsOnly serves a small demo (--event-customers) and measures the events figures on it,
// with single-record POSTs of the same run as the reference (--only events).
func eventsOnly(bin string) {
	base, token, stop := serveDemo(bin, "events-data", *eventCustomers)
	defer stop()
	createTable(base, token)
	posted, _ := postRecords(token, base)
	record(fmt.Sprintf("reference, same run: single-record POST, c=%d, %d records", *conc, *posts), posted, "", "reference")
	eventFigures(base, token)
}

// serveDemo serves a demo of n customers made in the scratch directory dir, with the bench
// admin signed in; stop ends the server.
func serveDemo(bin, dir string, n int) (base, token string, stop func()) {
	data := filepath.Join(*work, dir)
	run(bin, "demo", "--data", data, "--customers", strconv.Itoa(n), "--seed", "1")
	run(bin, "user", "create", "--data", data, "--email", "bench@example.com", "--password", "bench-password", "--role", "admin")
	srv := exec.Command(bin, "serve", "--data", data, "--http", fmt.Sprintf("127.0.0.1:%d", *port))
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	must(srv.Start())
	base = fmt.Sprintf("http://127.0.0.1:%d", *port)
	waitUp(base)
	return base, login(base), func() { srv.Process.Kill(); srv.Wait() }
}

// eventFigures measures POST /api/events on the server at base (the 客户管理 template with
// customers), with an API token and the rule 产品A意向 (近7天 浏览 产品A ≥ 3 次 → tag) active,
// so each request also re-applies the rule to the customers it names: *eventsN events in
// batches of 1,000, then *eventsN one at a time at concurrency *conc.
func eventFigures(base, session string) {
	var tok struct{ Token string }
	req, _ := http.NewRequest("POST", base+"/api/tokens", strings.NewReader(`{"name":"bench 官网"}`))
	req.Header.Set("Authorization", "Bearer "+session)
	doJSON(req, 201, &tok)
	rule := `{"name":"产品A意向","table":"客户","enabled":true,"triggers":[{"on":"always"}],
		"events":{"name":"浏览","property":"page","equals":"产品A","days":7,"op":"gte","value":3},
		"actions":[{"type":"add_tag","field":"标签","tag":"产品A意向"}]}`
	req, _ = http.NewRequest("POST", base+"/api/rules", strings.NewReader(rule))
	req.Header.Set("Authorization", "Bearer "+session)
	doJSON(req, 201, nil)

	var page struct{ Items []map[string]any }
	get(base+"/api/tables/"+url.PathEscape("客户")+"/records?limit=1000&skipTotal=1", session, &page)
	var numbers []string
	for _, rec := range page.Items {
		numbers = append(numbers, fmt.Sprint(rec["客户编号"]))
	}
	if len(numbers) == 0 {
		fatalf("no customers to send events of")
	}
	pages := []string{"产品A", "产品B", "首页", "价格"}
	event := func(i int) map[string]any {
		return map[string]any{"customer": map[string]string{"客户编号": numbers[i%len(numbers)]}, "name": "浏览",
			"properties": map[string]string{"page": pages[i%len(pages)], "source": "官网"}}
	}
	u := base + "/api/events"
	batches := make([][]byte, max(1, *eventsN/1000))
	for b := range batches {
		list := make([]any, 1000)
		for i := range list {
			list[i] = event(b*1000 + i)
		}
		batches[b], _ = json.Marshal(map[string]any{"events": list})
	}
	lat, rate := load(u, tok.Token, "POST", batches, len(batches), *eventsBatchConc)
	record(fmt.Sprintf("POST /api/events, batches of 1,000, c=%d, %d events, token, 1 rule counting them", *eventsBatchConc, len(batches)*1000),
		fmt.Sprintf("%.0f events/s (p50 %.0f / p99 %.0f ms a batch)", rate*1000, pct(lat, 50), pct(lat, 99)), "≥ 20,000 events/s", "")
	singles := make([][]byte, *eventsN)
	for i := range singles {
		singles[i], _ = json.Marshal(event(i))
	}
	lat, rate = load(u, tok.Token, "POST", singles, len(singles), *conc)
	record(fmt.Sprintf("POST /api/events, one at a time, c=%d, %d events, token, 1 rule counting them", *conc, len(singles)),
		fmt.Sprintf("%.0f events/s (p50 %.1f / p99 %.1f ms)", rate, pct(lat, 50), pct(lat, 99)), "≥ 3,000 events/s", "")
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// dashboards measures the report engine on the demo's customers: the tier pie (uncached, via
// the editor's preview) against a hand-written GROUP BY in the database's shell, and the whole
// 客户分级看板 — all its charts at once, as the UI asks for them — cold (right after a write)
// and warm (unchanged data, from the cache).
func dashboards(db shell, base, token string) {
	id := func(q string) string { return strings.TrimSpace(db.run(q)) }
	table := id("SELECT id FROM _tables WHERE name = '客户'")
	tier := id(fmt.Sprintf("SELECT id FROM _fields WHERE table_id = '%s' AND name = '客户等级'", table))
	n := id(`SELECT COUNT(*) FROM "t_` + table + `"`)
	ref := median(3, func() { db.run(fmt.Sprintf(`SELECT "%s", COUNT(*) FROM "t_%s" GROUP BY 1`, tier, table)) })
	record(fmt.Sprintf("reference: hand-written `SELECT 客户等级, COUNT(*) … GROUP BY 1` over %s 客户 (%s)", n, db.name), fmt.Sprintf("%.2f s", ref), "", "reference")

	pie := []byte(`{"chart":{"title":"客户等级分布","type":"pie","table":"客户","dimensions":[{"field":"客户等级"}],"measures":[{"agg":"count"}]}}`)
	secs := median(3, func() { post(base+"/api/charts/preview", token, pie, nil) })
	record(fmt.Sprintf("tier pie over %s 客户 (uncached, POST /api/charts/preview)", n), fmt.Sprintf("%.2f s = %.2f× the reference", secs, secs/ref), "≤ 1.5× the reference", "")

	var board struct {
		Charts []struct{ ID, Title string }
	}
	get(base+"/api/dashboards/"+url.PathEscape("客户分级看板"), token, &board)
	all := func() {
		var wg sync.WaitGroup
		for _, c := range board.Charts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var res json.RawMessage
				get(base+"/api/charts/"+url.PathEscape(c.ID)+"/data", token, &res)
			}()
		}
		wg.Wait()
	}
	// A write makes every cached result stale: the next load is cold.
	touch := []byte(`{"客户名称":"基准测试客户"}`)
	cold := median(3, func() {
		req, _ := http.NewRequest("POST", base+"/api/tables/"+url.PathEscape("客户")+"/records", bytes.NewReader(touch))
		req.Header.Set("Authorization", "Bearer "+token)
		doJSON(req, 201, nil)
	}, all)
	record(fmt.Sprintf("客户分级看板, all %d charts at once over %s 客户, cold (after a write)", len(board.Charts), n), fmt.Sprintf("%.2f s", cold), "≤ 1.5 s", "")
	warm := median(5, all)
	record("客户分级看板, all charts, warm (unchanged data)", fmt.Sprintf("%.1f ms", warm*1000), "≤ 50 ms", "")
}

// median runs the steps in order n times and returns the median time of the last step, in
// seconds; the steps before it are preparation, not timed.
func median(n int, steps ...func()) float64 {
	var times []float64
	for range n {
		for _, s := range steps[:len(steps)-1] {
			s()
		}
		start := time.Now()
		steps[len(steps)-1]()
		times = append(times, time.Since(start).Seconds())
	}
	slices.Sort(times)
	return times[len(times)/2]
}

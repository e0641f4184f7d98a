package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// kanbanOnly serves the demo (--customers) and measures issue 16's figures (--only kanban):
// the kanban of 客户 by 客户等级 with the sum of 累计消费金额 and the first 50 cards of each
// column, and a bulk edit of 100,000 客户 (or all of them, if fewer) assigning the 负责人,
// through the records engine with an operation-log entry per record.
func kanbanOnly(bin string) {
	base, token, stop := serveDemo(bin, "kanban-data", *customers)
	defer stop()
	table := base + "/api/tables/" + url.PathEscape("客户")

	u := table + "/board?field=" + url.QueryEscape("客户等级") + "&sum=" + url.QueryEscape("累计消费金额") + "&limit=50"
	var lat []float64
	for range 20 {
		start := time.Now()
		get(u, token, nil)
		lat = append(lat, float64(time.Since(start).Microseconds())/1000)
	}
	record(fmt.Sprintf("kanban of %d 客户 by 客户等级: counts, sums of 累计消费金额, first 50 cards a column (20 requests)", *customers),
		fmt.Sprintf("p50 %.0f / p99 %.0f ms", pct(lat, 50), pct(lat, 99)), "≤ 200 ms", "")

	n := min(100_000, *customers)
	var me struct{ ID int64 }
	get(base+"/api/auth/me", token, &me)
	body, _ := json.Marshal(map[string]any{"filter": map[string]any{"field": "id", "op": "lte", "value": n}, "set": map[string]any{"负责人": me.ID}})
	var res struct{ Changed, Skipped int64 }
	start := time.Now()
	post(table+"/records/bulk", token, body, &res)
	secs := time.Since(start).Seconds()
	if res.Changed != int64(n) {
		fatalf("the bulk edit changed %d of %d records", res.Changed, n)
	}
	record(fmt.Sprintf("bulk edit of %d 客户 (assign 负责人), one transaction, history per record", n),
		fmt.Sprintf("%.1f s (%.0f records/s)", secs, float64(n)/secs), "≤ 10 s for 100,000", "")
}

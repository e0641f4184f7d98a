package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// grading measures a full regrade of the demo's 客户 with the template's S2 scheme against
// a hand-written UPDATE … SET 客户等级 = CASE … over the same table, and the impact preview.
func grading(db, base, token string) {
	id := func(q string) string { return strings.TrimSpace(run("sqlite3", db, q)) }
	table := id("SELECT id FROM _tables WHERE name = '客户'")
	col := func(name string) string {
		return `"` + id(fmt.Sprintf("SELECT id FROM _fields WHERE table_id = '%s' AND name = '%s'", table, name)) + `"`
	}
	tier, last, freq, amount, source, first := col("客户等级"), col("最近消费日"), col("购买频率"), col("累计消费金额"), col("客户来源"), col("首次购买日期")
	today := time.Now()
	d := func(days int) string { return today.AddDate(0, 0, -days).Format("2006-01-02") }
	caseSQL := fmt.Sprintf(`CASE WHEN %s >= '%s' AND %s <= '%s' AND %s > 5 AND %s > 10000 THEN '高价值客户'
		WHEN %s = '市场活动' AND %s >= '%s' AND %s <= '%s' THEN '潜力客户' ELSE '普通客户' END`,
		last, d(30), last, d(0), freq, amount, source, first, d(60), first, d(0))
	tbl := `"t_` + table + `"`
	run("sqlite3", db, "UPDATE "+tbl+" SET "+tier+" = NULL")
	start := time.Now()
	run("sqlite3", db, "UPDATE "+tbl+" SET "+tier+" = "+caseSQL)
	ref := time.Since(start).Seconds()
	record("reference: hand-written `UPDATE 客户 SET 客户等级 = CASE … END` (sqlite3 shell)", fmt.Sprintf("%.2f s", ref), "", "reference")
	run("sqlite3", db, "UPDATE "+tbl+" SET "+tier+" = NULL")

	var schemes struct{ Items []struct{ ID string } }
	get(base+"/api/schemes", token, &schemes)
	if len(schemes.Items) == 0 {
		record("full regrade", "no scheme installed", "", "")
		return
	}
	var scheme map[string]any
	get(base+"/api/schemes/"+url.PathEscape(schemes.Items[0].ID), token, &scheme)
	body, _ := json.Marshal(scheme)
	start = time.Now()
	var imp struct{ Changed int }
	post(base+"/api/schemes/preview", token, body, &imp)
	record("impact preview of the S2 scheme on the 1M 客户 (all ungraded)", fmt.Sprintf("%.2f s (%d would change)", time.Since(start).Seconds(), imp.Changed), "≤ 1.5 s", "")
	start = time.Now()
	var res struct{ Changed int }
	post(base+"/api/schemes/"+url.PathEscape(schemes.Items[0].ID)+"/run", token, nil, &res)
	secs := time.Since(start).Seconds()
	record("full regrade of the 1M 客户 with the S2 scheme (with tier history)", fmt.Sprintf("%.2f s = %.2f× the reference (%d changed)", secs, secs/ref, res.Changed), "≤ 1.5× the reference", "")
}

func get(u, token string, v any) {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	doJSON(req, 200, v)
}

func post(u, token string, body []byte, v any) {
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	doJSON(req, 200, v)
}

// rfm measures the RFM model over the demo's customers and orders against a hand-written
// window-function query computing the same scores (without writing them).
func rfm(db, base, token string) {
	id := func(q string) string { return strings.TrimSpace(run("sqlite3", db, q)) }
	orders := id("SELECT id FROM _tables WHERE name = '订单'")
	col := func(name string) string {
		return `"` + id(fmt.Sprintf("SELECT id FROM _fields WHERE table_id = '%s' AND name = '%s'", orders, name)) + `"`
	}
	link, date, amount := col("客户"), col("下单日期"), col("订单金额")
	n := id(`SELECT COUNT(*) FROM "t_` + orders + `"`)
	q := fmt.Sprintf(`WITH base AS (SELECT %s AS id, MAX(%s) AS last, COUNT(*) AS freq, SUM(%s) AS money FROM "t_%s" GROUP BY %s),
		s AS (SELECT id, NTILE(5) OVER (ORDER BY last) r, NTILE(5) OVER (ORDER BY freq) f, NTILE(5) OVER (ORDER BY money) m FROM base)
		SELECT COUNT(*), AVG(r), AVG(f), AVG(m) FROM s`, link, date, amount, orders, link)
	start := time.Now()
	run("sqlite3", db, q)
	ref := time.Since(start).Seconds()
	record("reference: hand-written RFM scores with window functions (sqlite3 shell, no write)", fmt.Sprintf("%.2f s", ref), "", "reference")
	body := []byte(`{"table":"客户","orders":"订单","orderDate":"下单日期","orderAmount":"订单金额"}`)
	start = time.Now()
	var res struct{ Scored int }
	post(base+"/api/rfm", token, body, &res)
	secs := time.Since(start).Seconds()
	record(fmt.Sprintf("RFM of the demo's 客户 from %s 订单 (scores and segments written)", n),
		fmt.Sprintf("%.2f s = %.2f× the reference (%d scored)", secs, secs/ref, res.Scored), "≤ 2× the reference", "")
}

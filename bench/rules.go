package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// grading measures a full regrade of the demo's 客户 with the template's S2 scheme against
// a hand-written UPDATE … SET 客户等级 = CASE … over the same table in the database's own
// shell db, and the impact preview.
func grading(db shell, base, token string) {
	id := func(q string) string { return strings.TrimSpace(db.run(q)) }
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
	clear := func() { db.run("UPDATE " + tbl + " SET " + tier + " = NULL"); db.settle(tbl) }
	clear()
	start := time.Now()
	db.run("UPDATE " + tbl + " SET " + tier + " = " + caseSQL)
	ref := time.Since(start).Seconds()
	record("reference: hand-written `UPDATE 客户 SET 客户等级 = CASE … END` ("+db.name+")", fmt.Sprintf("%.2f s", ref), "", "reference")
	clear()

	var schemes struct{ Items []struct{ ID string } }
	get(base+"/api/schemes", token, &schemes)
	if len(schemes.Items) == 0 {
		record("full regrade", "no scheme installed", "", "")
		return
	}
	// The figure is the scheme's regrade: the template's rules watching 客户等级 (S4's to-dos,
	// up to 10,000 queued per run) are switched off for it.
	var rules struct{ Items []map[string]any }
	get(base+"/api/rules", token, &rules)
	for _, r := range rules.Items {
		r["enabled"] = false
		body, _ := json.Marshal(r)
		req, _ := http.NewRequest("PUT", base+"/api/rules/"+url.PathEscape(r["id"].(string)), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		doJSON(req, 200, nil)
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

// A shell runs hand-written SQL through the database's own command-line client: the
// references the figures are measured against.
type shell struct {
	name string   // as the figures say it: "sqlite3 shell", "psql"
	argv []string // the command without the SQL
	each string   // what comes before each statement
}

func sqlite3Shell(file string) shell { return shell{"sqlite3 shell", []string{"sqlite3", file}, ""} }

func psqlShell(url string) shell {
	return shell{"psql", []string{"psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url}, "-c"}
}

// run runs the statements (one or more per argument; a psql \ command alone in one) in one
// process and returns what they print, a row a line, columns as a|b.
func (s shell) run(statements ...string) string {
	args := append([]string{}, s.argv[1:]...)
	for _, q := range statements {
		if s.each != "" {
			args = append(args, s.each)
		}
		args = append(args, q)
	}
	return run(s.argv[0], args...)
}

// settle prepares table after an update of every row, so that the next timed update of every
// row starts from the same state: on PostgreSQL a VACUUM makes the old row versions' space
// reusable (else each mass update writes a new copy of the table beside the dead ones and
// autovacuum runs when it likes). SQLite updates in place: nothing to do.
func (s shell) settle(table string) {
	if s.name == "psql" {
		s.run("VACUUM ANALYZE " + table)
	}
}

// get reads u into v, signed in with token ("" for none).
func get(u, token string, v any) {
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	doJSON(req, 200, v)
}

func post(u, token string, body []byte, v any) {
	req, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	doJSON(req, 200, v)
}

// firstRFM waits for the template's first RFM run, which the demo queues and the server's job
// workers do as soon as it starts, and records how long it took (the login waits for it: the
// run is one write transaction): the figures after it are measured on a quiet server.
func firstRFM(base, token string, started time.Time) {
	for {
		var models struct {
			Items []struct {
				LastRun *struct{ Scored, Ms int }
			}
		}
		get(base+"/api/rfm", token, &models)
		if len(models.Items) > 0 && models.Items[0].LastRun != nil {
			r := models.Items[0].LastRun
			record("the template's first RFM run, a background job of the server after `tierbase demo`",
				fmt.Sprintf("%.1f s after the server started (the run itself %.1f s, %d scored)", time.Since(started).Seconds(), float64(r.Ms)/1000, r.Scored), "", "")
			return
		}
		if time.Since(started) > 5*time.Minute {
			fatalf("the template's first RFM run did not finish in 5 minutes: %+v", models)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// rfm measures the RFM model over the demo's customers and *ordersN 订单 (the demo's orders
// copied until there are that many) against the same work written by hand: an UPDATE … FROM
// a window-function query (NTILE(5)) over the orders.
func rfm(db, base, token string) {
	id := func(q string) string { return strings.TrimSpace(run("sqlite3", db, q)) }
	customers, orders := id("SELECT id FROM _tables WHERE name = '客户'"), id("SELECT id FROM _tables WHERE name = '订单'")
	var cols []string
	for _, c := range strings.Fields(id(`SELECT name FROM pragma_table_info('t_` + orders + `') WHERE name <> 'id'`)) {
		cols = append(cols, `"`+c+`"`)
	}
	for {
		have, _ := strconv.Atoi(id(`SELECT COUNT(*) FROM "t_` + orders + `"`))
		if have >= *ordersN || have == 0 {
			break
		}
		list := strings.Join(cols, ", ")
		run("sqlite3", db, fmt.Sprintf(`INSERT INTO "t_%s"(%s) SELECT %s FROM "t_%s" ORDER BY id LIMIT %d`, orders, list, list, orders, *ordersN-have))
	}

	body := []byte(`{"table":"客户","orders":"订单","orderDate":"下单日期","orderAmount":"订单金额"}`)
	var res struct{ Scored int }
	post(base+"/api/rfm", token, body, &res) // first run: creates R分, F分, M分, RFM分群
	col := func(table, name string) string {
		return `"` + id(fmt.Sprintf("SELECT id FROM _fields WHERE table_id = '%s' AND name = '%s'", table, name)) + `"`
	}
	link, date, amount := col(orders, "客户"), col(orders, "下单日期"), col(orders, "订单金额")
	r, f, m, seg := col(customers, "R分"), col(customers, "F分"), col(customers, "M分"), col(customers, "RFM分群")
	tbl := `"t_` + customers + `"`
	clear := fmt.Sprintf("UPDATE %s SET %s = NULL, %s = NULL, %s = NULL, %s = NULL", tbl, r, f, m, seg)
	n := id(`SELECT COUNT(*) FROM "t_` + orders + `"`)
	q := fmt.Sprintf(`WITH base AS (SELECT %s AS id, MAX(%s) AS last, COUNT(*) AS freq, SUM(%s) AS money FROM "t_%s" WHERE %s IS NOT NULL GROUP BY %s),
		s AS (SELECT id, NTILE(5) OVER (ORDER BY last) r, NTILE(5) OVER (ORDER BY freq) f, NTILE(5) OVER (ORDER BY money) m FROM base),
		a AS (SELECT AVG(r) r, AVG(f) f, AVG(m) m FROM s)
		UPDATE %s SET %s = s.r, %s = s.f, %s = s.m, %s = CASE WHEN s.m > a.m AND s.r > a.r THEN '重要价值客户' ELSE '一般挽留客户' END
		FROM s, a WHERE %s.id = s.id`, link, date, amount, orders, link, link, tbl, r, f, m, seg, tbl)
	run("sqlite3", db, clear)
	start := time.Now()
	run("sqlite3", db, q)
	ref := time.Since(start).Seconds()
	record("reference: RFM by hand — UPDATE … FROM a window-function query (sqlite3 shell)", fmt.Sprintf("%.2f s", ref), "", "reference")
	run("sqlite3", db, clear)
	start = time.Now()
	post(base+"/api/rfm", token, body, &res)
	secs := time.Since(start).Seconds()
	record(fmt.Sprintf("RFM of the demo's 客户 from %s 订单 (scores and the 8 segments written)", n),
		fmt.Sprintf("%.2f s = %.2f× the reference (%d scored)", secs, secs/ref, res.Scored), "≤ 2× the reference", "")
}

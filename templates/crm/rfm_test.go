package crm_test

import (
	"context"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/engines/reports"
	"tierbase/templates/crm"
)

// A fresh template has RFM out of the box: its RFM 矩阵 board draws (no "还没有 R分、F分、M分"),
// the model is kept with its last run, and the daily pass scores the customers who have
// orders since.
func TestTemplateRFMOutOfTheBox(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2026, 11, 23, 0, 59, 59, 0, loc)
	a.SetClock(func() time.Time { return day }, loc)
	if _, err := crm.Install(ctx, access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	if err := crm.InstallRules(ctx, a.Rules); err != nil {
		t.Fatal(err)
	}
	if err := crm.InstallDashboards(ctx, a.Reports); err != nil {
		t.Fatal(err)
	}
	board, err := a.Reports.Dashboard("RFM 矩阵")
	if err != nil {
		t.Fatal(err)
	}
	matrix := board.Charts[0].ID
	res, err := a.Reports.Data(ctx, access.System, matrix, reports.Filters{})
	if err != nil {
		t.Fatalf("the RFM board of a fresh template: %v", err)
	}
	if len(res.Rows) != 0 {
		t.Fatalf("no customers yet, but the matrix has %v", res.Rows)
	}
	models, err := a.Grading.RFMModels(ctx)
	if err != nil || len(models) != 1 || models[0].LastRun != nil || models[0].Orders != "订单" {
		t.Fatalf("kept models before the first run %+v (%v)", models, err)
	}
	// The first run is queued at install, and a worker does it.
	if n, err := a.Jobs.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("ran %d jobs (%v), want the first RFM run", n, err)
	}
	if models, err = a.Grading.RFMModels(ctx); err != nil || models[0].LastRun == nil || models[0].LastRun.Scored != 0 {
		t.Fatalf("kept models after the first run %+v (%v)", models, err)
	}

	// Customers with orders arrive; the daily pass (at 01:00, a second away) scores them.
	cust, _ := a.Catalog.Table("客户")
	orders, _ := a.Catalog.Table("订单")
	for i, name := range []string{"甲公司", "乙公司", "丙公司"} {
		c, err := a.Records.Create(ctx, access.System, cust, records.Input{"客户名称": name})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j <= i; j++ {
			if _, err := a.Records.Create(ctx, access.System, orders, records.Input{"客户": c.ID(), "下单日期": "2026-11-2" + string(rune('0'+j)), "订单金额": 100 * (i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	day = day.Add(time.Second) // 01:00: the minute tick queues the daily pass, a worker runs it
	if err := a.Jobs.Tick(ctx, day); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Jobs.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("ran %d jobs (%v), want the daily pass", n, err)
	}
	var state, failure string
	if err := a.DB.R.QueryRow("SELECT state, error FROM _jobs WHERE key = 'daily:2026-11-23'").Scan(&state, &failure); err != nil || state != "done" {
		t.Fatalf("the daily pass: %s %s (%v)", state, failure, err)
	}
	res, err = a.Reports.Data(ctx, access.System, matrix, reports.Filters{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, r := range res.Rows {
		n += *r.Values[0]
	}
	if n != 3 {
		t.Fatalf("after the daily pass the matrix counts %v customers, want 3: %v", n, res.Rows)
	}
	models, _ = a.Grading.RFMModels(ctx)
	if models[0].LastRun.Scored != 3 {
		t.Fatalf("last run %+v, want 3 scored", models[0].LastRun)
	}
	// Installing again keeps the model as the user left it.
	m := models[0].RFM
	m.Segments = "en"
	if _, err := a.Grading.RunRFM(ctx, access.System, m); err != nil {
		t.Fatal(err)
	}
	if err := crm.InstallRules(ctx, a.Rules); err != nil {
		t.Fatal(err)
	}
	if models, _ = a.Grading.RFMModels(ctx); models[0].Segments != "en" {
		t.Fatalf("installing again replaced the model: %+v", models[0])
	}
}

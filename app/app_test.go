package app_test

import (
	"context"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/store"
)

// TestScheduledBackupsAndPurge runs two "processes" on one data directory: each slot's backup
// is made once, the oldest beyond keep are deleted, and the daily job empties the recycle bin
// of what was deleted more than 30 days ago. On PostgreSQL only the purge: backups there are
// pg_dump's (serve refuses --backup-every).
func TestScheduledBackupsAndPurge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var apps []*app.App
	for range 2 {
		a, err := app.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		a.SetClock(func() time.Time { return now }, time.UTC)
		if a.DB.Dialect == store.SQLite {
			a.BackupEvery(24*time.Hour, 2)
		}
		a.PurgeTrashDaily()
		apps = append(apps, a)
	}
	a := apps[0]
	tb, err := a.Catalog.CreateTable(ctx, access.System, "", "客户", []*schema.Field{{Name: "客户名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.Records.Create(ctx, access.System, tb, records.Input{"客户名称": "格力"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Records.Delete(ctx, access.System, tb, rec.ID()); err != nil {
		t.Fatal(err)
	}
	for day := 1; day <= 3; day++ {
		now = time.Date(2026, 11, day+1, 0, 0, 30, 0, time.UTC)
		for _, p := range apps {
			if err := p.Jobs.Tick(ctx, now); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Jobs.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if a.DB.Dialect != store.SQLite {
			continue
		}
		list, err := a.Backups().List()
		if err != nil || len(list) != min(day, 2) {
			t.Fatalf("day %d: backups %+v %v", day, list, err)
		}
	}
	if items, _ := a.Records.Trash(ctx, access.System, "", 0, 0); len(items) != 1 {
		t.Fatalf("purged too early: %+v", items)
	}
	now = time.Date(2026, 12, 3, 0, 0, 30, 0, time.UTC) // 31 days after the deletion
	if err := a.Jobs.Tick(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Jobs.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if items, _ := a.Records.Trash(ctx, access.System, "", 0, 0); len(items) != 0 {
		t.Fatalf("not purged after 31 days: %+v", items)
	}
}

package workbench_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/workbench"
)

var ctx = context.Background()

// The recently opened records list the newest first, each once, at most ShownRecent of them,
// and keep working when the same record is opened from two tabs at once.
func TestRecentRecords(t *testing.T) {
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	u, err := a.Users.Create(ctx, access.System, "m@example.com", "member-password", "小王", "member")
	if err != nil {
		t.Fatal(err)
	}
	me := access.Actor{UserID: u.ID, Role: access.RoleMember}
	tbl, err := a.Catalog.CreateTable(ctx, access.System, "", "门店", []*schema.Field{{Name: "名称", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range workbench.KeptRecent + 5 {
		r, err := a.Records.Create(ctx, access.System, tbl, records.Input{"名称": fmt.Sprint("门店", i), "负责人": u.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}
	for _, id := range ids {
		if err := a.Workbench.Opened(ctx, me, tbl.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	// The first one again, from two tabs at once, several times.
	for range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { errs[i] = a.Workbench.Opened(ctx, me, tbl.ID, ids[0]) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("opening a record from two tabs: %v", err)
			}
		}
	}
	b, err := a.Workbench.Board(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range b.Recent {
		got = append(got, r.ID)
	}
	want := []int64{ids[0]}
	for i := len(ids) - 1; len(want) < workbench.ShownRecent; i-- {
		want = append(want, ids[i])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("recent %v, want %v", got, want)
	}
	if b.Recent[0].Title != "门店0" || b.Recent[0].TableName != "门店" {
		t.Errorf("first recent %+v", b.Recent[0])
	}
	var kept int
	if err := a.DB.R.QueryRow("SELECT COUNT(*) FROM _recent WHERE user_id = ?", u.ID).Scan(&kept); err != nil || kept != workbench.KeptRecent {
		t.Errorf("%d opened records kept (%v), want %d", kept, err, workbench.KeptRecent)
	}
}

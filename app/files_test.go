package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/files"
)

// The daily pass removes the uploaded files no record holds, once a day old: a file taken
// out of its record, one never saved, one whose record left the recycle bin — and keeps the
// files records hold, in the bin too, and uploads of the last day.
func TestPruneFiles(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	now := time.Now()
	a.Records.Now = func() time.Time { return now }
	tb, err := a.Catalog.CreateTable(ctx, access.System, "", "合同", []*schema.Field{{Name: "合同名称", Type: schema.Text}, {Name: "附件", Type: schema.File}})
	if err != nil {
		t.Fatal(err)
	}
	put := func(content string) files.Info {
		t.Helper()
		info, err := a.Records.Upload(access.System, tb, tb.Field("附件"), strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	ref := func(i files.Info) []any { return []any{map[string]any{"hash": i.Hash, "name": "a.txt"}} }
	held, replaced, binned, unsaved := put("保留的合同"), put("被替换的合同"), put("回收站里的合同"), put("从未保存的合同")
	kept, err := a.Records.Create(ctx, access.System, tb, records.Input{"合同名称": "甲", "附件": ref(replaced)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Records.Update(ctx, access.System, tb, kept.ID(), records.Input{"附件": ref(held)}); err != nil {
		t.Fatal(err)
	}
	gone, err := a.Records.Create(ctx, access.System, tb, records.Input{"合同名称": "乙", "附件": ref(binned)})
	if err == nil {
		err = a.Records.Delete(ctx, access.System, tb, gone.ID())
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(a.Dir, files.DirName)
	age := func(i files.Info, d time.Duration) {
		t.Helper()
		path := filepath.Join(dir, i.Hash[:2], i.Hash)
		if err := os.Chtimes(path, now.Add(-d), now.Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(i files.Info) bool { _, err := a.Records.Files.Stat(i.Hash); return err == nil }
	// Within the day, nothing goes.
	if n, err := a.Records.PruneFiles(ctx); err != nil || n != 0 {
		t.Fatalf("pruned %d (%v) within the day", n, err)
	}
	for _, i := range []files.Info{held, replaced, binned, unsaved} {
		age(i, 25*time.Hour)
	}
	fresh := put("刚上传的合同")
	if again := put("从未保存的合同"); again.Hash != unsaved.Hash { // uploaded again: its day starts over
		t.Fatal("the same content kept twice")
	}
	if n, err := a.Records.PruneFiles(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want the replaced file", n, err)
	}
	for i, want := range map[files.Info]bool{held: true, replaced: false, binned: true, unsaved: true, fresh: true} {
		if exists(i) != want {
			t.Errorf("file %s kept: %v, want %v", i.Hash[:8], exists(i), want)
		}
	}
	// Once the bin forgets the record, its file goes too (and the uploads never saved).
	now = now.AddDate(0, 0, records.TrashDays+1)
	if _, err := a.Records.PurgeTrash(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Records.PruneFiles(ctx); err != nil || n != 3 || exists(binned) || exists(fresh) || exists(unsaved) || !exists(held) {
		t.Fatalf("after the bin was purged: pruned %d (%v); binned kept %v, held kept %v", n, err, exists(binned), exists(held))
	}
	if rec, err := a.Records.Get(ctx, access.System, tb, kept.ID()); err != nil || rec[tb.Field("附件").ID] == nil {
		t.Fatalf("the record holding its file: %v %v", rec, err)
	}
}

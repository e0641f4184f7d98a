package records_test

import (
	"testing"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
)

// A 富文本 keeps its allowed formatting and loses scripts, event attributes and styles before
// it is stored; its words are found by contains and by the search box.
func TestRichTextSanitisedAndFound(t *testing.T) {
	w := open(t)
	tb, err := w.recs.Catalog.CreateTable(ctx, access.System, "", "拜访", []*schema.Field{
		{Name: "主题", Type: schema.Text}, {Name: "纪要", Type: schema.RichText}})
	if err != nil {
		t.Fatal(err)
	}
	rec := w.create(t, w.admin, tb, records.Input{"主题": "首访",
		"纪要": `<p onmouseover="steal()" style="color:red">客户<b>很重视</b>交付<script>alert(1)</script></p><img src=x onerror=alert(1)>`})
	if got, want := rec[tb.Field("纪要").ID], "<p>客户<b>很重视</b>交付</p>"; got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
	w.create(t, w.admin, tb, records.Input{"主题": "回访", "纪要": "<p>一切正常</p>"})
	for _, q := range []records.Query{{Filter: &cond.Node{Field: "纪要", Op: "contains", Value: "很重视"}}, {Search: "很重视"}} {
		page, err := w.recs.List(ctx, w.admin, tb, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].ID() != rec.ID() {
			t.Errorf("%+v: %v", q, page.Items)
		}
	}
}

package records_test

import (
	"testing"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// A 座机 is stored in one form whatever its spelling, is found by any spelling of it and by
// its digits (filters evaluated in SQL and in Go agree), and a number that is not one is a
// 400 on the field, in the user's language.
func TestLandlineStoredFoundAndRefused(t *testing.T) {
	w := open(t)
	tb, err := w.recs.Catalog.CreateTable(ctx, access.System, "", "门店", []*schema.Field{
		{Name: "名称", Type: schema.Text}, {Name: "电话", Type: schema.Landline}})
	if err != nil {
		t.Fatal(err)
	}
	tel := tb.Field("电话").ID
	stored := map[string]string{}
	for name, typed := range map[string]string{"南山店": "(0755)8888 8888-12", "朝阳店": "010-12345678转123", "客服": "4008008888"} {
		rec := w.create(t, w.admin, tb, records.Input{"名称": name, "电话": typed})
		stored[name], _ = rec[tel].(string)
	}
	want := map[string]string{"南山店": "0755-88888888-12", "朝阳店": "010-12345678-123", "客服": "400-800-8888"}
	for name, v := range want {
		if stored[name] != v {
			t.Errorf("%s stored %q, want %q", name, stored[name], v)
		}
	}

	names := func(q records.Query) []string {
		t.Helper()
		page, err := w.recs.List(ctx, w.admin, tb, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Items {
			out = append(out, r[tb.Field("名称").ID].(string))
		}
		return out
	}
	for _, c := range []struct {
		op, value string
		want      string
	}{
		{"eq", "０７５５－８８８８８８８８ 分机 12", "南山店"},
		{"contains", "075588888888", "南山店"},
		{"contains", "(0755) 8888", "南山店"},
		{"contains", "12345678123", "朝阳店"},
		{"contains", "400800", "客服"},
	} {
		n := &cond.Node{Field: "电话", Op: c.op, Value: c.value}
		got := names(records.Query{Filter: n})
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s %q: %v, want %s", c.op, c.value, got, c.want)
		}
		for name, v := range want {
			ok, err := cond.Eval(n, tb, cond.Env{}, map[string]any{tel: v})
			if err != nil || ok != (name == c.want) {
				t.Errorf("Eval %s %q on %s: %v %v", c.op, c.value, v, ok, err)
			}
		}
	}
	if got := names(records.Query{Search: "0755 8888 8888"}); len(got) != 1 || got[0] != "南山店" {
		t.Errorf("search by digits: %v", got)
	}

	_, err = w.recs.Create(ctx, w.admin, tb, records.Input{"名称": "错号", "电话": "13800138000"})
	p := problem.As(err)
	if p != nil && len(p.Details) == 1 {
		p = p.Details[0]
	}
	if p == nil || p.Status != 400 || p.Code != "bad_landline" || p.Field != "电话" {
		t.Fatalf("a mobile number in 座机: %v, want a 400 bad_landline on 电话", err)
	}
	if msg := p.Message("en"); msg == "" || msg == p.Message("zh") {
		t.Errorf("messages: %q / %q", p.Message("zh"), msg)
	}
}

package crm_test

import (
	"context"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/engines/forms"
	"tierbase/templates/crm"
)

// The template publishes its 留资 form of 客户 and its 报修 form of 工单 once; a lead through it from the trade show's
// link (?客户来源=展会) is a customer from 展会.
func TestTemplateLeadForm(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := crm.Install(ctx, access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := crm.InstallForms(ctx, a.Forms); err != nil {
			t.Fatal(err)
		}
	}
	list, err := a.Forms.List(ctx, access.System)
	if err != nil || len(list) != 2 {
		t.Fatalf("forms %v %v", list, err)
	}
	titles := map[string]*forms.Form{}
	for _, f := range list {
		titles[f.Title] = f
	}
	lead := titles[crm.LeadForm]
	if lead == nil || !lead.Enabled || titles[crm.RepairForm] == nil {
		t.Fatalf("forms %v", titles)
	}
	a.Forms.Digits = func() string { return "11111" }
	c, err := a.Forms.NewCaptcha(ctx, lead.Token)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Forms.Submit(ctx, lead.Token, "203.0.113.9", forms.Submission{Captcha: c.ID, Answer: "11111",
		Values: map[string]any{"客户名称": "展会客户", "联系电话": "13912345678", "客户来源": "展会"}})
	if err != nil {
		t.Fatal(err)
	}
	cust, _ := a.Catalog.Table("客户")
	p, err := a.Records.List(ctx, access.System, cust, records.Query{})
	if err != nil || p.Total != 1 || p.Items[0][cust.Field("客户来源").ID] != "展会" {
		t.Fatalf("customers %v %v", p, err)
	}
}

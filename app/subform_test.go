package app_test

import (
	"context"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
)

// Imports skip sub-tables and files: a column mapped to one is refused naming it before any
// row is read, none is suggested, and the records imported have no rows.
func TestImportSkipsSubformsAndFiles(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	quotes, err := a.Catalog.CreateTable(ctx, access.System, "", "报价单", []*schema.Field{{Name: "报价名称", Type: schema.Text},
		{Name: "报价明细", Type: schema.Subform, Fields: []*schema.Field{{Name: "产品", Type: schema.Text}}},
		{Name: "报价附件", Type: schema.File}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Importer.Run(ctx, access.System, quotes, csvReader(t, "报价名称,报价明细\n甲,服务器\n"), importer.Plan{Columns: []string{"报价名称", "报价明细"}}, nil)
	if p := problem.As(err); p == nil || p.Code != "import_subform" || !strings.Contains(p.Message("en"), "cannot be imported") {
		t.Fatalf("importing into 报价明细: %v", err)
	}
	_, err = a.Importer.Run(ctx, access.System, quotes, csvReader(t, "报价名称,报价附件\n甲,http://example.com/a.pdf\n"), importer.Plan{Columns: []string{"报价名称", "报价附件"}}, nil)
	if p := problem.As(err); p == nil || p.Code != "import_files" || p.Field != "报价附件" || !strings.Contains(p.Message("zh"), "不能从表格导入") {
		t.Fatalf("importing into 报价附件: %v", err)
	}
	if got := importer.Suggest([]string{"报价名称", "报价明细", "报价附件"}, quotes); got[1] != "" || got[2] != "" {
		t.Fatalf("the import suggests a sub-table or a file field: %v", got)
	}
	if _, err := a.Importer.Run(ctx, access.System, quotes, csvReader(t, "报价名称\n甲\n"), importer.Plan{Columns: []string{"报价名称"}}, nil); err != nil {
		t.Fatal(err)
	}
	page, err := a.Records.List(ctx, access.System, quotes, records.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0][quotes.Field("报价明细").ID] != 0.0 {
		t.Fatalf("imported %v", page.Items)
	}
}

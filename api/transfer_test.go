package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tierbase/platform/spreadsheet"
)

// upload posts a file as the UI does and returns the decoded answer.
func (c *client) upload(path, name, content string) reply {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{Status: res.StatusCode, Raw: string(raw)}
	json.Unmarshal(raw, &r.Body)
	return r
}

// waitImport polls an import until it ends.
func (c *client) waitImport(id string) map[string]any {
	c.t.Helper()
	for i := 0; i < 200; i++ {
		st := c.get("/api/imports/"+id).must(c.t, 200)
		if st["state"] == "done" || st["state"] == "failed" {
			return st
		}
		time.Sleep(25 * time.Millisecond)
	}
	c.t.Fatal("import did not finish")
	return nil
}

const importCSV = "客户编号,客户名称,联系方式,累计消费金额\nK1,北京星辰,13800138000,\"¥1,200.50\"\nK2,上海恒通,+86 139 1234 5678,1.2万\n"

func TestImportThroughAPI(t *testing.T) {
	c := setup(t)
	c.post("/api/tables", map[string]any{"name": "客户", "fields": []map[string]any{
		{"name": "客户编号", "type": "text", "unique": true}, {"name": "客户名称", "type": "text", "required": true},
		{"name": "联系电话", "type": "phone"}, {"name": "累计消费金额", "type": "money"}}}).must(t, 201)

	up := c.upload(tablePath("客户")+"/imports", "客户.csv", importCSV).must(t, 201)
	if num(up["rows"]) != 2 || len(up["preview"].([]any)) != 2 {
		t.Fatalf("upload answer %v", up)
	}
	mapping := up["mapping"].([]any)
	if mapping[2] != "联系电话" || mapping[3] != "累计消费金额" {
		t.Fatalf("proposed mapping %v", mapping)
	}
	id := str(up["id"])
	c.post("/api/imports/"+id+"/start", map[string]any{"table": "客户", "columns": mapping}).must(t, 200)
	st := c.waitImport(id)
	res := st["result"].(map[string]any)
	if st["state"] != "done" || num(res["inserted"]) != 2 || res["committed"] != true {
		t.Fatalf("import status %v", st)
	}
	list := c.get(recordsPath("客户")+"?sort=客户编号").must(t, 200)
	if num(list["total"]) != 2 || num(list["items"].([]any)[1].(map[string]any)["累计消费金额"]) != 12000 {
		t.Fatalf("records after import %v", list)
	}
	// Starting the same upload twice is refused.
	c.post("/api/imports/"+id+"/start", map[string]any{"table": "客户", "columns": mapping}).wantError(t, 409, "import_started")

	// A file with a bad row imports nothing and offers a report.
	bad := importCSV + "K3,杭州云启,12345,abc\n"
	up = c.upload(tablePath("客户")+"/imports", "bad.csv", strings.ReplaceAll(bad, "K1", "K7")).must(t, 201)
	id = str(up["id"])
	c.post("/api/imports/"+id+"/start", map[string]any{"table": "客户", "columns": up["mapping"]}).must(t, 200)
	st = c.waitImport(id)
	if st["state"] != "failed" || st["error"].(map[string]any)["code"] != "import_rejected" {
		t.Fatalf("bad import status %v", st)
	}
	problems := st["problems"].([]any)
	if len(problems) != 3 || num(problems[0].(map[string]any)["line"]) != 3 {
		// K2 clashes with the unique 客户编号 already imported; line 4 has a bad phone and amount
		t.Fatalf("problems %v", problems)
	}
	if n := num(c.get(recordsPath("客户")).must(t, 200)["total"]); n != 2 {
		t.Fatalf("a refused import changed the table: %v rows", n)
	}
	rep := c.get("/api/imports/" + id + "/report?format=csv")
	if rep.Status != 200 || !strings.Contains(rep.Raw, "错误原因") || !strings.Contains(rep.Raw, "12345") {
		t.Fatalf("report %d %q", rep.Status, rep.Raw)
	}
}

func TestImportIntoNewTableAndExport(t *testing.T) {
	c := setup(t)
	up := c.upload("/api/imports", "名单.csv", importCSV).must(t, 201)
	cols := up["columns"].([]any)
	if cols[2].(map[string]any)["type"] != "phone" {
		t.Fatalf("proposed types %v", cols)
	}
	c.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"newTable": map[string]any{"name": "名单", "columns": cols}}).must(t, 200)
	if st := c.waitImport(str(up["id"])); st["state"] != "done" {
		t.Fatalf("status %v", st)
	}
	for _, format := range []string{"csv", "xlsx"} {
		req, _ := http.NewRequest("GET", c.base+tablePath("名单")+"/export?format="+format+"&sort=客户编号", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		res, err := c.http.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("export %s: %v %v", format, err, res.Status)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r, err := spreadsheet.OpenReader(bytes.NewReader(raw), "x."+format, spreadsheet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		row, _ := r.Next()
		r.Close()
		if r.Header()[1] != "客户编号" || row[1] != "K1" || row[3] != "13800138000" {
			t.Fatalf("%s export: %v %v", format, r.Header(), row)
		}
	}
	// Members may neither import nor export.
	_, member := c.addMember("m@example.com", "成员")
	member.upload("/api/imports", "x.csv", importCSV).wantError(t, 403, "not_allowed")
	member.get(tablePath("名单")+"/export").wantError(t, 403, "not_allowed_on")
	// Unreadable files are refused with a reason.
	c.upload("/api/imports", "x.xls", "not really").wantError(t, 400, "bad_file")
}

func TestFailedImportIntoNewTableLeavesNoTable(t *testing.T) {
	c := setup(t)
	up := c.upload("/api/imports", "坏.csv", importCSV+"K3,杭州,12345,1\n").must(t, 201)
	id := str(up["id"])
	// The user insists 联系方式 holds mobile numbers, which one row does not.
	up["columns"].([]any)[2].(map[string]any)["type"] = "phone"
	// A plan that cannot work is refused at once, and the upload can still be started.
	c.post("/api/imports/"+id+"/start", map[string]any{"newTable": map[string]any{"name": "坏表", "columns": up["columns"]},
		"mode": "upsert"}).wantError(t, 400, "import_need_key")
	c.get(tablePath("坏表")).wantError(t, 404, "not_found")
	st := c.post("/api/imports/"+id+"/start", map[string]any{"newTable": map[string]any{"name": "坏表", "columns": up["columns"]}}).must(t, 200)
	if tb, _ := st["table"].(map[string]any); tb["name"] != "坏表" {
		t.Fatalf("status names no table: %v", st)
	}
	if st = c.waitImport(id); st["state"] != "failed" {
		t.Fatalf("status %v", st)
	}
	c.get(tablePath("坏表")).wantError(t, 404, "not_found")
}

// exportFile downloads a table's export with the given query and returns its bytes.
func (c *client) exportFile(table, query string) []byte {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+tablePath(table)+"/export?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		c.t.Fatalf("export %s: %d %s", query, res.StatusCode, raw)
	}
	return raw
}

// The export lists the records in the grid's order (its sort, or newest first as the list
// shows them without one) and writes amounts as numbers in the currency format, numbers as
// numbers and dates as dates.
func TestExportFollowsTheGridAndTypesItsCells(t *testing.T) {
	c := setup(t)
	c.createTable("订单", f("名称", "text"), f("金额", "money"), f("数量", "number"), f("日期", "date"))
	c.create("订单", map[string]any{"名称": "甲", "金额": 1234.5, "数量": 3, "日期": "2026-03-05"})
	c.create("订单", map[string]any{"名称": "乙", "金额": 99, "数量": 1.5, "日期": "2026-01-02"})
	c.create("订单", map[string]any{"名称": "丙", "金额": 500, "数量": 2, "日期": "2026-02-03"})

	names := func(query string) []string {
		raw := c.exportFile("订单", query)
		r, err := spreadsheet.OpenReader(bytes.NewReader(raw), "x.xlsx", spreadsheet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			out = append(out, row[1])
		}
		return out
	}
	listed := func(sort string) []string {
		var out []string
		for _, v := range column(items(c.list("订单", "sort", sort).must(t, 200)), "名称") {
			out = append(out, str(v))
		}
		return out
	}
	for _, sort := range []string{"", "-金额", "日期"} {
		if got, want := names("format=xlsx&sort="+url.QueryEscape(sort)), listed(sort); !slices.Equal(got, want) {
			t.Errorf("sort %q: export %v, grid %v", sort, got, want)
		}
	}

	f, err := excelize.OpenReader(bytes.NewReader(c.exportFile("订单", "format=xlsx&sort=名称")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	if head, _ := f.GetRows(sheet); len(head) != 4 || !slices.Equal(head[0][:5], []string{"ID", "名称", "金额", "数量", "日期"}) {
		t.Fatalf("rows %v", head)
	}
	format := func(cell string) string {
		id, _ := f.GetCellStyle(sheet, cell)
		st, err := f.GetStyle(id)
		if err != nil || st.CustomNumFmt == nil {
			return ""
		}
		return *st.CustomNumFmt
	}
	// 名称 sorts 丙, 乙, 甲 (by code point): row 4 is 甲.
	for cell, want := range map[string]string{"C4": "1234.5", "D4": "3", "E4": "46086", "C3": "99", "D3": "1.5"} {
		if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeUnset {
			t.Errorf("%s is a %v cell, want a number", cell, typ)
		}
		if raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true}); raw != want {
			t.Errorf("%s holds %q, want %q", cell, raw, want)
		}
	}
	if got := format("C4"); got != "¥#,##0.00" {
		t.Errorf("金额 format %q", got)
	}
	if shown, _ := f.GetCellValue(sheet, "C4"); shown != "¥1,234.50" {
		t.Errorf("金额 shows %q", shown)
	}
	if got := format("E4"); got != "yyyy-mm-dd" {
		t.Errorf("日期 format %q", got)
	}
	if got := format("D4"); got != "" {
		t.Errorf("数量 has the format %q", got)
	}
}

// xlsxFile builds an XLSX file from rows (row 1 first; nil rows stay empty).
func xlsxFile(t *testing.T, rows ...[]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		if row == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A sheet whose header is in row 3 (under a title and an empty row): the preview, the problems
// and the error report number the rows as Excel does, from 4; the new table takes 客户名称,
// not the first column, as its title field.
func TestImportNumbersRowsAsExcelAndPicksTheTitle(t *testing.T) {
	c := setup(t)
	file := xlsxFile(t,
		[]any{"2026 年客户名单"},
		nil,
		[]any{"联系电话", "客户名称", "金额"},
		[]any{"13800138000", "北京星辰", 100},
		[]any{"13900139000", "上海恒通", "很多"},
		[]any{"13700137000", "杭州西湖", 300},
	)
	up := c.upload("/api/imports", "名单.xlsx", file).must(t, 201)
	if got := fmt.Sprint(up["lines"]); got != "[4 5 6]" {
		t.Fatalf("preview lines %s; answer %v", got, up)
	}
	if num(up["titleColumn"]) != 1 {
		t.Fatalf("proposed title column %v", up["titleColumn"])
	}
	cols := up["columns"].([]any)
	cols[2].(map[string]any)["type"] = "money" // 很多 is no amount
	c.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"newTable": map[string]any{"name": "名单", "columns": cols}, "skipInvalid": true}).must(t, 200)
	st := c.waitImport(str(up["id"]))
	probs := st["problems"].([]any)
	if st["state"] != "done" || len(probs) != 1 || num(probs[0].(map[string]any)["line"]) != 5 {
		t.Fatalf("status %v", st)
	}
	raw := c.get("/api/imports/" + str(up["id"]) + "/report?format=csv").Raw
	if lines := strings.Split(strings.TrimPrefix(raw, "\uFEFF"), "\r\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], "5,13900139000,上海恒通,很多,") {
		t.Fatalf("report %q", raw)
	}
	table := c.get(tablePath("名单")).must(t, 200)
	if table["titleField"] != field(t, table, "客户名称")["id"] {
		t.Fatalf("title field %v, fields %v", table["titleField"], table["fields"])
	}
	// The person may choose another column; an unknown one is refused with its path.
	up = c.upload("/api/imports", "名单.xlsx", file).must(t, 201)
	c.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"newTable": map[string]any{"name": "名单2", "columns": up["columns"], "titleField": "没有"}}).
		wantDetail(t, "unknown_field", "", 0, "newTable.titleField")
	c.post("/api/imports/"+str(up["id"])+"/start", map[string]any{"newTable": map[string]any{"name": "名单2", "columns": up["columns"], "titleField": "联系电话"}}).must(t, 200)
	c.waitImport(str(up["id"]))
	if table = c.get(tablePath("名单2")).must(t, 200); table["titleField"] != field(t, table, "联系电话")["id"] {
		t.Fatalf("chosen title field %v", table["titleField"])
	}
}

package spreadsheet

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// manyRows is worksheet XML with a header and rows 2…n, the row at bad (if any) pointing at a
// shared string that is not there.
func manyRows(n, bad int) []byte {
	var b strings.Builder
	b.WriteString(`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>编号</t></is></c><c t="inlineStr"><is><t>名称</t></is></c></row>`)
	for i := 2; i <= n; i++ {
		ref := 0
		if i == bad {
			ref = 9
		}
		fmt.Fprintf(&b, `<row r="%d"><c><v>%d</v></c><c t="s"><v>%d</v></c></row>`, i, i, ref)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return []byte(b.String())
}

// A broken row comes where it is: every row before it first, in order, then its error, and
// the same error again after that.
func TestXLSXErrorAfterRows(t *testing.T) {
	r, err := OpenReader(bytes.NewReader(sheetPackage(t, manyRows(2000, 1500))), "f.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for want := 2; want < 1500; want++ {
		row, err := r.Next()
		if err != nil {
			t.Fatalf("row %d: %v", want, err)
		}
		if row[0] != fmt.Sprint(want) || row[1] != "名称" || r.Line() != want {
			t.Fatalf("row %d: line %d %q", want, r.Line(), row)
		}
	}
	for range 2 {
		if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "row 1500") {
			t.Fatalf("row 1500: %v", err)
		}
	}
}

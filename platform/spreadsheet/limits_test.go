package spreadsheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"tierbase/platform/problem"
)

// repeatReader yields head, then unit n times, then tail, without holding them in memory.
type repeatReader struct {
	head, unit, tail []byte
	n                int
	buf              []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		switch {
		case len(r.head) > 0:
			r.buf, r.head = r.head, nil
		case r.n > 0:
			k := min(r.n, 64<<10/len(r.unit)+1)
			r.buf, r.n = bytes.Repeat(r.unit, k), r.n-k
		case len(r.tail) > 0:
			r.buf, r.tail = r.tail, nil
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// allocated returns the bytes fn allocates (Go's running total, so a bound on its peak too).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// wantProblem checks err is the problem code (with status), on row line if line > 0, and
// returns its Chinese message.
func wantProblem(t *testing.T, err error, status int, code string, line int) string {
	t.Helper()
	p := problem.As(err)
	if p == nil || p.Status != status || p.Code != code || line > 0 && p.Row != line {
		t.Fatalf("error %v, want %d %s on row %d", err, status, code, line)
	}
	for _, lang := range []string{"zh", "en"} {
		if msg := p.Message(lang); strings.Contains(msg, "internal") || strings.Contains(msg, "spreadsheet.") || msg == code {
			t.Errorf("%s message %q", lang, msg)
		}
	}
	return p.Message("zh")
}

// The probe's CSV: a header line of 48 million columns (96 MB). Refused at column 16,385 with
// a message naming the row and the limit, after reading a few kilobytes; before, the server
// grew to 20 GB.
func TestCSVHugeHeader(t *testing.T) {
	var err error
	alloc := allocated(func() {
		_, err = OpenReader(&repeatReader{unit: []byte("a,"), n: 48_000_000, tail: []byte("\n1,2\n")}, "wide.csv", Options{})
	})
	msg := wantProblem(t, err, 400, "too_many_columns", 1)
	t.Logf("%s (%d KB allocated)", msg, alloc>>10)
	if alloc > 32<<20 {
		t.Errorf("refusing the 96 MB header allocated %d MB", alloc>>20)
	}

	// Exactly MaxColumns columns are read; one more is refused, quoted commas not counted.
	wide := strings.Repeat(`"x,y",`, MaxColumns-1) + "z\n" + strings.Repeat("1,", MaxColumns-1) + "2\n"
	r, err := OpenReader(strings.NewReader(wide), "wide.csv", Options{})
	if err != nil {
		t.Fatalf("%d columns: %v", MaxColumns, err)
	}
	if n := len(r.Header()); n != MaxColumns {
		t.Errorf("header of %d columns, want %d", n, MaxColumns)
	}
	r.Close()
	_, err = OpenReader(strings.NewReader("a,"+wide), "wide.csv", Options{})
	wantProblem(t, err, 400, "too_many_columns", 1)
}

// A row larger than maxRowBytes — one long line, or a quoted cell spanning many lines — is
// refused with its row number; a large but real row is read.
func TestCSVRowTooLarge(t *testing.T) {
	big := strings.Repeat("长", maxRowBytes/3+1)
	_, err := OpenReader(strings.NewReader("名称,备注\n甲,短\n乙,"+big+"\n"), "big.csv", Options{})
	msg := wantProblem(t, err, 400, "row_too_large", 3)
	t.Log(msg)
	lines := strings.Repeat("一行文字\n", maxRowBytes/13+1)
	_, err = OpenReader(strings.NewReader("名称,备注\n\"多行\n单元格\",短\n乙,\""+lines+"\"\n"), "big.csv", Options{})
	wantProblem(t, err, 400, "row_too_large", 3)

	ok := strings.Repeat("长", maxRowBytes/3-100)
	r, err := OpenReader(strings.NewReader("名称,备注\n乙,"+ok+"\n"), "ok.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if row, err := r.Next(); err != nil || row[1] != ok {
		t.Fatalf("large row: %v", err)
	}
}

// bombPackage is an XLSX whose shared strings are n texts of size bytes each ("AAAA…"),
// compressed to about a thousandth; the sheet's row 2 points at the first `refs` of them.
func bombPackage(t testing.TB, n, size, refs int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	var cells strings.Builder
	for i := 0; i < refs; i++ {
		cells.WriteString(`<c t="s"><v>` + strconv.Itoa(i%n) + `</v></c>`)
	}
	for _, part := range []struct {
		name string
		body io.Reader
	}{
		{"xl/workbook.xml", strings.NewReader(`<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", strings.NewReader(`<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)},
		{"xl/worksheets/sheet1.xml", strings.NewReader(`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>名称</t></is></c><c t="inlineStr"><is><t>备注</t></is></c></row><row r="2">` + cells.String() + `</row></sheetData></worksheet>`)},
		{"xl/sharedStrings.xml", &repeatReader{head: []byte("<sst>"), unit: []byte("<si><t>" + strings.Repeat("A", size) + "</t></si>"), n: n, tail: []byte("</sst>")}},
	} {
		w, err := zw.Create(part.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, part.body); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	return buf.Bytes()
}

// An XLSX of 400 KB whose shared strings inflate to 320 MB (the probe's held 948 MB). With a
// budget, reading stops as soon as the budget is spent — having allocated little — with a
// 413 that says what to do; what it held is given back.
func TestXLSXSharedStringsBomb(t *testing.T) {
	file := bombPackage(t, 20, 16<<20-64, 1) // 320 MB of text
	t.Logf("bomb: %d KB compressed, 320 MB of shared strings", len(file)>>10)
	budget := NewBudget(128 << 20)
	var err error
	alloc := allocated(func() {
		_, err = OpenReader(bytes.NewReader(file), "bomb.xlsx", Options{Budget: budget})
	})
	msg := wantProblem(t, err, 413, "upload_memory", 0)
	t.Logf("%s (%d MB allocated)", msg, alloc>>20)
	if alloc > 200<<20 {
		t.Errorf("refusing the bomb allocated %d MB, more than the budget allows", alloc>>20)
	}
	if used := budget.Used(); used != 0 {
		t.Errorf("budget holds %d bytes after the refusal", used)
	}
}

// One budget for all the files being read: readers hold their share until closed, the one
// that does not fit is refused, and it fits again once another is closed.
func TestBudgetShared(t *testing.T) {
	file := bombPackage(t, 7, 3<<20, 1) // 21 MB of shared strings
	budget := NewBudget(2*rowMemory + 50<<20)
	open := func() (Reader, error) {
		return OpenReader(bytes.NewReader(file), "f.xlsx", Options{Budget: budget})
	}
	a, err := open()
	if err != nil {
		t.Fatal(err)
	}
	each := budget.Used()
	if each < rowMemory+21<<20 || each > rowMemory+22<<20 {
		t.Errorf("one reader holds %d MB, want its row memory and its 21 MB of shared strings", each>>20)
	}
	b, err := open()
	if err != nil {
		t.Fatal(err)
	}
	_, err = open()
	msg := wantProblem(t, err, 413, "upload_memory", 0)
	t.Log(msg)
	if used := budget.Used(); used != 2*each {
		t.Errorf("budget holds %d MB with two readers open, want %d", used>>20, 2*each>>20)
	}
	a.Close()
	a.Close() // a second Close gives back nothing more
	c, err := open()
	if err != nil {
		t.Fatalf("after one reader closed: %v", err)
	}
	if row, err := c.Next(); err != nil || len(row[0]) != 3<<20 {
		t.Errorf("row 2: %v", err)
	}
	b.Close()
	c.Close()
	if used := budget.Used(); used != 0 {
		t.Errorf("budget holds %d bytes with every reader closed", used)
	}
}

// A row whose cells point at shared strings of more than maxRowBytes together is refused
// before they are copied.
func TestXLSXRowTooLarge(t *testing.T) {
	_, err := OpenReader(bytes.NewReader(bombPackage(t, 2, 3<<20, 2)), "f.xlsx", Options{})
	t.Log(wantProblem(t, err, 400, "row_too_large", 2))
}

// FuzzSharedStrings reads arbitrary shared-strings XML under a small budget: never a panic,
// never more held than the budget, everything given back on Close.
func FuzzSharedStrings(f *testing.F) {
	f.Add([]byte(`<sst><si><t>名称</t></si><si><r><t>富</t></r><r><t>文本</t></r><rPh><t>ふ</t></rPh></si><si><t>_x0041_</t></si></sst>`))
	f.Add([]byte(`<sst><si><t>` + strings.Repeat("x", 3000) + `</t></si><si/><si><t></t></si></sst>`))
	f.Add([]byte(`<sst><si><t>unterminated`))
	sheet := `<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row r="2"><c t="s"><v>2</v></c><c t="s"><v>3</v></c></row></sheetData></worksheet>`
	f.Fuzz(func(t *testing.T, sst []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range map[string]string{
			"xl/workbook.xml":            `<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
			"xl/worksheets/sheet1.xml":   sheet,
			"xl/sharedStrings.xml":       string(sst),
		} {
			w, _ := zw.Create(name)
			w.Write([]byte(body))
		}
		zw.Close()
		budget := NewBudget(rowMemory + 1<<20)
		r, err := OpenReader(bytes.NewReader(buf.Bytes()), "f.xlsx", Options{Budget: budget})
		if used := budget.Used(); used > rowMemory+1<<20 {
			t.Fatalf("budget holds %d", used)
		}
		if err == nil {
			for {
				if _, err := r.Next(); err != nil {
					break
				}
			}
			r.Close()
		}
		if used := budget.Used(); used != 0 {
			t.Fatalf("budget holds %d after Close", used)
		}
	})
}

// slowLimiter is recordLimiter's reading one byte at a time, as it was first written: the
// reference its faster reading must agree with.
func slowLimiter(l *recordLimiter, p []byte) {
	for _, c := range p {
		l.bytes++
		switch {
		case l.state == quoted:
			if c == '"' {
				l.state = quoteInQuoted
			}
			continue
		case l.state == quoteInQuoted && c == '"':
			l.state = quoted
			continue
		case l.state == quoteInQuoted && c != l.sep && c != '\n' && c != '\r':
			l.state = quoted
			continue
		}
		switch c {
		case l.sep:
			l.cols++
			l.state = fieldStart
		case '\n':
			l.state, l.cols, l.bytes = fieldStart, 0, 0
			l.line++
		case '"':
			if l.state == fieldStart {
				l.state = quoted
			}
		case '\r':
		default:
			l.state = unquoted
		}
	}
}

// The limiter's state (quotes, columns, the record's size, the line) after each read agrees
// with reading one byte at a time, whatever the chunks the file comes in.
func FuzzRecordLimiter(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\ny\",\"a\"\"b\"\r\n", "\"lazy\"q\",1\n", ",,,\n\n\"\"", "名称,\"备注,长\"\n乙,丙"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		size := int(chunk%16) + 1
		fast := newRecordLimiter(bytes.NewReader(data), ',')
		slow := newRecordLimiter(nil, ',')
		buf := make([]byte, size)
		for read := 0; ; {
			n, err := fast.Read(buf)
			slowLimiter(slow, buf[:n])
			read += n
			if fast.state != slow.state || fast.cols != slow.cols || fast.bytes != slow.bytes || fast.line != slow.line {
				t.Fatalf("after %d bytes of %q: state %d cols %d bytes %d line %d, want %d %d %d %d", read, data,
					fast.state, fast.cols, fast.bytes, fast.line, slow.state, slow.cols, slow.bytes, slow.line)
			}
			if err != nil {
				break
			}
		}
	})
}

// A line read whole in one chunk is held to the limits as one read byte by byte:
// MaxColumns columns pass, one more is refused, and so is a line past maxRowBytes.
func TestRecordLimiterWholeLines(t *testing.T) {
	for _, c := range []struct {
		text string
		code string
	}{
		{strings.Repeat("a,", MaxColumns-1) + "a\n1\n", ""},
		{strings.Repeat("a,", MaxColumns) + "a\n1\n", "too_many_columns"},
		{strings.Repeat("a", maxRowBytes-1) + "\n1\n", ""},
		{strings.Repeat("a", maxRowBytes) + "\n1\n", "row_too_large"},
	} {
		l := newRecordLimiter(strings.NewReader(c.text), ',')
		_, err := l.Read(make([]byte, len(c.text)))
		if c.code == "" && err != nil || c.code != "" && (problem.As(err) == nil || problem.As(err).Code != c.code) {
			t.Errorf("%d bytes, %d commas: %v, want %q", len(c.text), strings.Count(c.text, ","), err, c.code)
		}
	}
}

package spreadsheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"tierbase/platform/problem"
)

// The XLSX reader streams a worksheet's XML straight from the zip archive. It does not use
// excelize's row iterator because that gives either the displayed text (rounded as the number
// format shows it: 25.75% as "26%") or the raw number without telling which cells are dates,
// while the exact value needs both the raw number and the cell's number format. Only the
// shared strings (which any cell may point to) and the styles are held in memory.

const (
	maxColumns = MaxColumns
	// maxSharedText bounds the text of the shared-strings table kept in memory, against zip
	// bombs, when no Budget bounds it more.
	maxSharedText = 1 << 30
)

// errCorrupt wraps what makes a file unreadable as XLSX.
func errCorrupt(err error) error {
	return fmt.Errorf("文件已损坏或不是有效的 .xlsx 文件 / the file is damaged or not a valid .xlsx file: %w", err)
}

// workbook is an opened XLSX package: its sheets and where their parts are.
type workbook struct {
	files    map[string]*zip.File
	sheets   []sheetInfo
	date1904 bool
	styles   string // part names
	shared   string
}

type sheetInfo struct {
	name   string
	part   string
	hidden bool
}

type xRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string `xml:"name,attr"`
		State string `xml:"state,attr"`
		RID   string `xml:"id,attr"`
	} `xml:"sheets>sheet"`
}

func openWorkbook(ra io.ReaderAt, size int64) (*workbook, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, errCorrupt(err)
	}
	wb := &workbook{files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/")
		wb.files[name] = f
		if lower := strings.ToLower(name); wb.files[lower] == nil {
			wb.files[lower] = f
		}
	}
	wbPart := "xl/workbook.xml"
	var root xRels
	if err := wb.decode("_rels/.rels", &root); err == nil {
		for _, r := range root.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wbPart = resolve("", r.Target)
			}
		}
	}
	var x xWorkbook
	if err := wb.decode(wbPart, &x); err != nil {
		return nil, errCorrupt(err)
	}
	wb.date1904 = x.Pr.Date1904 == "1" || x.Pr.Date1904 == "true"
	var rels xRels
	relsPart := path.Join(path.Dir(wbPart), "_rels", path.Base(wbPart)+".rels")
	if err := wb.decode(relsPart, &rels); err != nil {
		return nil, errCorrupt(err)
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := resolve(wbPart, r.Target)
		switch {
		case strings.HasSuffix(r.Type, "/worksheet"):
			targets[r.ID] = t
		case strings.HasSuffix(r.Type, "/styles"):
			wb.styles = t
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			wb.shared = t
		}
	}
	for _, s := range x.Sheets {
		// Chart sheets and macro sheets have no worksheet part: they are listed, with no rows.
		wb.sheets = append(wb.sheets, sheetInfo{name: s.Name, part: targets[s.RID], hidden: s.State == "hidden" || s.State == "veryHidden"})
	}
	return wb, nil
}

// resolve gives the part name a relationship target points to, relative to the part base.
func resolve(base, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return path.Clean(target[1:])
	}
	return path.Clean(path.Join(path.Dir(base), target))
}

func (wb *workbook) file(part string) *zip.File {
	if f := wb.files[part]; f != nil {
		return f
	}
	return wb.files[strings.ToLower(part)]
}

func (wb *workbook) open(part string) (io.ReadCloser, error) {
	f := wb.file(part)
	if f == nil {
		return nil, fmt.Errorf("missing part %s: %w", part, os.ErrNotExist)
	}
	return f.Open()
}

// decode unmarshals a small part (workbook, relationships, styles).
func (wb *workbook) decode(part string, v any) error {
	rc, err := wb.open(part)
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(bufio.NewReader(rc)).Decode(v)
}

type xStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	CellXfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// numKinds gives, for each cell style index (a cell's s attribute), what its number format
// makes of numbers.
func (wb *workbook) numKinds() ([]numKind, error) {
	if wb.styles == "" || wb.file(wb.styles) == nil {
		return nil, nil
	}
	var x xStyles
	if err := wb.decode(wb.styles, &x); err != nil {
		return nil, errCorrupt(err)
	}
	custom := make(map[int]numKind, len(x.NumFmts))
	for _, f := range x.NumFmts {
		custom[f.ID] = classifyFormat(f.Code)
	}
	kinds := make([]numKind, len(x.CellXfs))
	for i, xf := range x.CellXfs {
		if k, ok := custom[xf.NumFmtID]; ok {
			kinds[i] = k
		} else {
			kinds[i] = builtinKind(xf.NumFmtID)
		}
	}
	return kinds, nil
}

// sharedTable is the shared-strings table, packed: the texts one after another in blob, ends[i]
// the end of text i. 5 million texts take about their bytes plus 4 bytes each, where a
// []string would take 16 more and a heap object each.
type sharedTable struct {
	blob []byte
	ends []uint32
}

func (t *sharedTable) len() int { return len(t.ends) }

// size is the length in bytes of text i.
func (t *sharedTable) size(i int) int {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return int(t.ends[i] - start)
}

// appendText appends text i to dst.
func (t *sharedTable) appendText(dst []byte, i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return append(dst, t.blob[start:t.ends[i]]...)
}

// sharedStrings reads the shared-strings table: each item's text, its rich-text runs joined,
// phonetic guides (rPh) left out. A first pass measures it so that the table is allocated once,
// at its size; as it measures, it takes the table's memory from the budget (mem), and stops as
// soon as the budget cannot give more — before any of it is allocated.
func (wb *workbook) sharedStrings(mem *hold) (*sharedTable, error) {
	if wb.shared == "" || wb.file(wb.shared) == nil {
		return &sharedTable{}, nil
	}
	const step = 1 << 20 // the budget is taken a megabyte at a time
	count, size, taken := 0, 0, 0
	err := wb.scanShared(func(raw []byte) error {
		count++
		if size += len(raw); size > maxSharedText {
			return errCorrupt(errors.New("shared strings too large"))
		}
		if need := size + 4*count; need > taken {
			more := (need - taken + step - 1) / step * step
			if err := mem.grow(int64(more)); err != nil {
				return err
			}
			taken += more
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := &sharedTable{blob: make([]byte, 0, size), ends: make([]uint32, 0, count)}
	err = wb.scanShared(func(raw []byte) error {
		// _xHHHH_ escapes only shrink, so the blob keeps its size.
		if bytes.Contains(raw, []byte("_x")) {
			raw = []byte(decodeEscapes(string(raw)))
		}
		if len(t.ends) == count || len(t.blob)+len(raw) > size {
			return errCorrupt(errors.New("shared strings changed while read"))
		}
		t.blob = append(t.blob, raw...)
		t.ends = append(t.ends, uint32(len(t.blob)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// scanShared calls item with the raw text of each shared string in turn.
func (wb *workbook) scanShared(item func(raw []byte) error) error {
	rc, err := wb.open(wb.shared)
	if err != nil {
		return errCorrupt(err)
	}
	defer rc.Close()
	sc := newXMLScanner(rc)
	var b []byte
	inSI, inT, rph := false, false, 0
	for {
		err := sc.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errCorrupt(err)
		}
		switch sc.kind {
		case tokStart:
			switch string(sc.name) {
			case "si":
				inSI, b = true, b[:0]
			case "rPh":
				rph++
			case "t":
				inT = inSI && rph == 0
			}
		case tokEnd:
			switch string(sc.name) {
			case "si":
				if err := item(b); err != nil {
					return err
				}
				inSI = false
			case "rPh":
				rph--
			case "t":
				inT = false
			}
		case tokText:
			if inT {
				if len(b)+len(sc.text) > maxToken {
					return errCorrupt(errTokenTooLarge)
				}
				b = append(b, sc.text...)
			}
		}
	}
}

// Sheets lists the sheet names of an XLSX file, in workbook order, hidden ones included.
func Sheets(file string) ([]string, error) {
	if k, err := kindOf(file); err != nil {
		return nil, err
	} else if k != kindXLSX {
		return nil, fmt.Errorf("%s 不是 .xlsx 文件，没有工作表 / %s is not an .xlsx file and has no sheets", path.Base(file), path.Base(file))
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("无法打开文件 / cannot open the file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	wb, err := openWorkbook(f, st.Size())
	if err != nil {
		return nil, err
	}
	return wb.names(), nil
}

func (wb *workbook) names() []string {
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	return names
}

// pick finds the sheet Options.Sheet names, or the first visible one with data.
func (wb *workbook) pick(want string) (sheetInfo, error) {
	list := strings.Join(wb.names(), "、")
	if want != "" {
		for _, s := range wb.sheets {
			if s.name == want {
				return s, nil
			}
		}
		for _, s := range wb.sheets {
			if strings.EqualFold(strings.TrimSpace(s.name), strings.TrimSpace(want)) {
				return s, nil
			}
		}
		if n, err := strconv.Atoi(strings.TrimSpace(want)); err == nil {
			if n >= 1 && n <= len(wb.sheets) {
				return wb.sheets[n-1], nil
			}
			return sheetInfo{}, fmt.Errorf("没有第 %d 个工作表，文件共有 %d 个：%s / there is no sheet %d; the file has %d: %s", n, len(wb.sheets), list, n, len(wb.sheets), list)
		}
		return sheetInfo{}, fmt.Errorf("找不到工作表“%s”，文件中的工作表：%s / no sheet named %q; the sheets are: %s", want, list, want, list)
	}
	for _, hidden := range []bool{false, true} {
		for _, s := range wb.sheets {
			if s.hidden != hidden || s.part == "" {
				continue
			}
			ok, err := wb.hasData(s)
			if err != nil {
				return sheetInfo{}, err
			}
			if ok {
				return s, nil
			}
		}
	}
	return sheetInfo{}, ErrEmpty
}

// hasData reports whether a sheet has a non-blank cell (reading it only up to that cell).
func (wb *workbook) hasData(s sheetInfo) (bool, error) {
	src, err := wb.rows(s, nil, nil)
	if err != nil {
		return false, err
	}
	defer src.close()
	for {
		cells, _, err := src.next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !blank(cells) {
			return true, nil
		}
	}
}

// openXLSX opens the chosen sheet of an XLSX archive for streaming; closer, if not nil, is
// closed with it.
func openXLSX(ra io.ReaderAt, size int64, closer io.Closer, sheet string, mem *hold) (rowSource, error) {
	wb, err := openWorkbook(ra, size)
	if err != nil {
		return nil, err
	}
	s, err := wb.pick(sheet)
	if err != nil {
		return nil, err
	}
	if s.part == "" || wb.file(s.part) == nil {
		return nil, fmt.Errorf("工作表“%s”不是数据表（可能是图表）/ sheet %q holds no cells (it may be a chart): %w", s.name, s.name, ErrEmpty)
	}
	kinds, err := wb.numKinds()
	if err != nil {
		return nil, err
	}
	sst, err := wb.sharedStrings(mem)
	if err != nil {
		return nil, err
	}
	src, err := wb.rows(s, kinds, sst)
	if err != nil {
		return nil, err
	}
	src.closer = closer
	return src, nil
}

func (wb *workbook) rows(s sheetInfo, kinds []numKind, sst *sharedTable) (*xlsxSource, error) {
	rc, err := wb.open(s.part)
	if err != nil {
		return nil, errCorrupt(err)
	}
	return &xlsxSource{
		rc:       rc,
		sc:       newXMLScanner(rc),
		kinds:    kinds,
		sst:      sst,
		date1904: wb.date1904,
	}, nil
}

// xlsxSource streams one worksheet's rows out of its XML.
type xlsxSource struct {
	rc       io.ReadCloser
	closer   io.Closer
	sc       *xmlScanner
	kinds    []numKind
	sst      *sharedTable // nil when only asking whether a sheet has data
	date1904 bool
	row      int
	done     bool
	err      error  // what ended the rows: every later call answers it again
	cell     cell   // reused
	text     []byte // the row's cell texts one after another (against maxRowBytes), reused
	spans    []span // where each of the row's cells is in text, reused
}

// cell is what a <c> element holds.
type cell struct {
	col   int // 1-based
	style int
	typ   string
	v     []byte
	is    []byte
}

// span is a non-empty cell of the row being read: its column and its text, text[start:end].
type span struct{ col, start, end int }

// cells makes the row read: one string holds all its texts (one allocation rather than one a
// cell), and each cell is a part of it.
func (s *xlsxSource) cells() []string {
	if len(s.spans) == 0 {
		return nil
	}
	n := 0
	for _, sp := range s.spans {
		n = max(n, sp.col)
	}
	cells := make([]string, n)
	text := string(s.text)
	for _, sp := range s.spans {
		cells[sp.col-1] = text[sp.start:sp.end]
	}
	return cells
}

// next reads the next row; after an error, it answers that error again.
func (s *xlsxSource) next() ([]string, int, error) {
	if s.err != nil {
		return nil, 0, s.err
	}
	cells, row, err := s.scan()
	if err != nil && err != io.EOF {
		s.err = err
	}
	return cells, row, err
}

// scan reads the sheet's XML up to the end of the next row.
func (s *xlsxSource) scan() ([]string, int, error) {
	if s.done {
		return nil, 0, io.EOF
	}
	c := &s.cell
	inRow, inCell, inV, inIs, inT, rph, col := false, false, false, false, false, 0, 0
	for {
		err := s.sc.next()
		if err == io.EOF {
			s.done = true
			if inRow {
				return s.cells(), s.row, nil
			}
			return nil, 0, io.EOF
		}
		if err != nil {
			return nil, 0, errCorrupt(err)
		}
		switch s.sc.kind {
		case tokStart:
			switch string(s.sc.name) {
			case "row":
				inRow, col, s.text, s.spans = true, 0, s.text[:0], s.spans[:0]
				if r, err := strconv.Atoi(string(s.sc.attr("r"))); err == nil && r > 0 {
					s.row = r
				} else {
					s.row++
				}
			case "c":
				if !inRow {
					continue
				}
				inCell = true
				c.v, c.is, c.typ, c.style, c.col = c.v[:0], c.is[:0], "", 0, 0
				for _, a := range s.sc.attrs {
					switch string(a.name) {
					case "r":
						c.col = columnOf(a.value)
					case "s":
						c.style, _ = strconv.Atoi(string(a.value))
					case "t":
						c.typ = cellType(a.value)
					}
				}
				if c.col == 0 {
					c.col = col + 1
				}
				col = c.col
			case "v":
				inV = inCell
			case "is":
				inIs = inCell
			case "rPh":
				rph++
			case "t":
				inT = inIs && rph == 0
			}
		case tokEnd:
			switch string(s.sc.name) {
			case "row":
				if inRow {
					return s.cells(), s.row, nil
				}
			case "sheetData":
				s.done = true
				return nil, 0, io.EOF
			case "c":
				if inCell && c.col <= maxColumns {
					start := len(s.text)
					var err error
					if s.text, err = s.appendValue(s.text, c); err != nil {
						if problem.As(err) != nil {
							return nil, 0, err
						}
						return nil, 0, fmt.Errorf("第 %d 行 / row %d: %w", s.row, s.row, err)
					}
					if len(s.text) > maxRowBytes {
						return nil, 0, rowTooLarge(s.row)
					}
					if len(s.text) > start {
						s.spans = append(s.spans, span{c.col, start, len(s.text)})
					}
				}
				inCell = false
			case "v":
				inV = false
			case "is":
				inIs = false
			case "rPh":
				rph--
			case "t":
				inT = false
			}
		case tokText:
			if len(c.v)+len(c.is)+len(s.sc.text) > maxToken {
				return nil, 0, errCorrupt(errTokenTooLarge)
			}
			switch {
			case inV:
				c.v = append(c.v, s.sc.text...)
			case inT:
				c.is = append(c.is, s.sc.text...)
			}
		}
	}
}

// cellType interns the t attribute of a cell.
func cellType(t []byte) string {
	switch string(t) {
	case "s":
		return "s"
	case "n":
		return ""
	case "str":
		return "str"
	case "inlineStr":
		return "inlineStr"
	case "b":
		return "b"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(t)
}

// columnOf reads the column of a cell reference ("C12" → 3); 0 if there is none.
func columnOf(ref []byte) int {
	col := 0
	for i := 0; i < len(ref); i++ {
		ch := ref[i] | 0x20 // lower case
		if ch < 'a' || ch > 'z' {
			break
		}
		col = col*26 + int(ch-'a') + 1
		if col > maxColumns {
			return maxColumns + 1
		}
	}
	return col
}

// appendValue appends a cell's text (see the package documentation) to dst.
func (s *xlsxSource) appendValue(dst []byte, c *cell) ([]byte, error) {
	v := c.v
	switch c.typ {
	case "s":
		if s.sst == nil {
			return append(dst, v...), nil // hasData only asks whether there is anything
		}
		i, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil || i < 0 || i >= s.sst.len() {
			if len(v) == 0 {
				return dst, nil
			}
			return dst, errCorrupt(fmt.Errorf("shared string %q out of range", v))
		}
		if len(dst)+s.sst.size(i) > maxRowBytes {
			return dst, rowTooLarge(s.row) // before copying it
		}
		return s.sst.appendText(dst, i), nil
	case "inlineStr":
		return appendEscapes(dst, c.is), nil
	case "str", "e":
		return appendEscapes(dst, v), nil
	case "b":
		switch string(bytes.TrimSpace(v)) {
		case "1", "true":
			return append(dst, "TRUE"...), nil
		case "0", "false":
			return append(dst, "FALSE"...), nil
		}
		return append(dst, v...), nil
	case "d":
		return append(dst, isoText(string(bytes.TrimSpace(v)))...), nil
	}
	if len(v) == 0 {
		return dst, nil
	}
	kind := numPlain
	if c.style >= 0 && c.style < len(s.kinds) {
		kind = s.kinds[c.style]
	}
	switch kind {
	case numPercent:
		return append(dst, percentText(string(v))...), nil
	case numDate, numDateTime, numTime:
		if f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64); err == nil {
			if out, ok := appendSerial(dst, f, kind, s.date1904); ok {
				return out, nil
			}
		}
	}
	if simpleDecimal(string(v)) {
		return append(dst, v...), nil
	}
	return append(dst, plainNumber(string(v))...), nil
}

// appendEscapes appends text with its _xHHHH_ escapes decoded (see decodeEscapes).
func appendEscapes(dst, text []byte) []byte {
	if bytes.Contains(text, []byte("_x")) {
		return append(dst, decodeEscapes(string(text))...)
	}
	return append(dst, text...)
}

func (s *xlsxSource) close() error {
	err := s.rc.Close()
	if s.closer != nil {
		if err2 := s.closer.Close(); err == nil {
			err = err2
		}
	}
	return err
}

// Package spreadsheet is the file layer of tierbase's Excel/CSV import and export: it streams
// the rows of a .csv/.tsv/.txt or .xlsx file as strings, and writes rows out as CSV or XLSX,
// without ever holding a whole sheet in memory.
//
// Reading gives every cell as text the importer's parsers (tierbase/schema ParseNumber,
// ParseDate, ParseBool, …) understand, exact rather than as displayed:
//
//   - CSV: the text as written. The encoding is detected (UTF-8 with or without BOM, UTF-16
//     with BOM as Excel's "Unicode text" writes it, else GB18030 — a superset of GBK — when
//     the bytes are not valid UTF-8), and so is the separator (, or tab or ;).
//   - XLSX: the stored value, turned into text by the cell's number format: date cells become
//     ISO "2026-03-05" (or "2026-03-05 14:30:00" when the format or the value has a time of
//     day, "14:30:00" for a time-only cell), currency and other number cells the plain number
//     ("12345.6", rounded to Excel's 15 significant digits), percentage cells the number of
//     percent with the sign (a cell holding 0.2575 gives "25.75%", which ParseNumber reads as 25.75),
//     booleans TRUE/FALSE, errors as shown (#DIV/0!), text as is.
//
// Above the data, a header row is found (skipping title and note rows), its names cleaned, and
// every data row is padded or cut to the header's width (cells right of the last named column
// have no column to go to); fully empty rows are skipped. A leading apostrophe that the CSV
// writer puts before formula-like text ('=1+1) is removed again.
//
// XLSX files are read with this package's own streaming parser of the worksheet XML
// (xmlscan.go) rather than excelize's row iterator, which cannot tell a cell's number format:
// memory stays flat apart from the shared-strings table, which every XLSX reader must keep.
// Writing uses excelize's StreamWriter.
package spreadsheet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reader streams the data rows of one sheet (or CSV file) as strings, after its header row.
type Reader interface {
	// Header returns the column names: trimmed, empty ones named 列N (N the 1-based column),
	// repeated ones suffixed (名称, 名称_2). Trailing empty columns are not part of it.
	Header() []string
	// Next returns the next data row, with len(Header()) cells; io.EOF after the last one.
	// Fully empty rows are skipped.
	Next() ([]string, error)
	// Line returns the 1-based row number, as a spreadsheet program shows it, of the row last
	// returned by Next (or of the header row before the first Next), for messages such as
	// "第 12 行". In CSV files it counts a record whose quoted cells span several lines once.
	Line() int
	// Close releases the file (and removes the temporary copy OpenReader may have made).
	Close() error
}

// Options choose what to read.
type Options struct {
	// Sheet is an XLSX sheet's name, or its 1-based position ("2"); a name wins over a
	// position. Empty means the first visible sheet that has any data. CSV files ignore it.
	Sheet string
	// HeaderRow is the 1-based row number of the header row. 0 means detect it: the first of
	// the first 10 non-empty rows that has at least 2 non-empty cells, at least 60% as many as
	// the widest of those rows, and more text than numbers or dates (so title rows, merged or
	// not, and note rows above a header are skipped); failing the last test everywhere (names
	// such as 2024年), the first row passing the others; failing those too, the first row.
	HeaderRow int
	// Budget, if not nil, is the server's memory budget for files being read: the reader
	// holds its row buffers and shared strings from it until closed (see Budget).
	Budget *Budget
}

// ErrEmpty is returned by Open and OpenReader when a file (or the chosen sheet) has no
// non-empty row at all.
var ErrEmpty = errors.New("文件中没有数据 / the file has no data")

// headerScanRows is how many non-empty rows header detection looks at.
const headerScanRows = 10

// rowSource is what the CSV and XLSX readers provide: raw rows in file order, empty ones
// included or not, with their 1-based row numbers.
type rowSource interface {
	next() (cells []string, line int, err error)
	close() error
}

type fileKind int

const (
	kindCSV fileKind = iota + 1
	kindXLSX
)

// kindOf tells the file type by the name's extension.
func kindOf(name string) (fileKind, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".csv", ".txt", ".tsv":
		return kindCSV, nil
	case ".xlsx", ".xlsm":
		return kindXLSX, nil
	case ".xls", ".et", ".wps":
		return 0, fmt.Errorf("不支持的文件类型 %s，请在 Excel 或 WPS 中另存为 .xlsx / unsupported file type %s; save it as .xlsx", ext, ext)
	case "":
		return 0, fmt.Errorf("无法识别文件类型（文件名没有扩展名），请使用 .xlsx 或 .csv 文件 / unknown file type (the name %q has no extension); use an .xlsx or .csv file", name)
	}
	return 0, fmt.Errorf("不支持的文件类型 %s，请使用 .xlsx 或 .csv 文件 / unsupported file type %s; use an .xlsx or .csv file", ext, ext)
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniff corrects the kind told by the extension with the file's first bytes: an .xlsx renamed
// to .csv is read as XLSX; an "xlsx" that is an old binary or password-protected workbook, or
// not a workbook at all, gets a clear error.
func sniff(kind fileKind, head []byte, name string) (fileKind, error) {
	switch {
	case len(head) >= 4 && string(head[:4]) == string(zipMagic):
		return kindXLSX, nil
	case kind == kindXLSX && len(head) >= 8 && string(head[:8]) == string(oleMagic):
		return 0, fmt.Errorf("%s 是加密的工作簿或旧版 .xls 文件：请去掉密码并另存为 .xlsx / %s is password-protected or an old .xls workbook: remove the password and save it as .xlsx", filepath.Base(name), filepath.Base(name))
	case kind == kindXLSX:
		return 0, fmt.Errorf("%s 不是有效的 .xlsx 文件 / %s is not a valid .xlsx file", filepath.Base(name), filepath.Base(name))
	}
	return kind, nil
}

// Open opens a .csv, .tsv, .txt or .xlsx (.xlsm) file, by its extension in any case, and
// finds its header row.
func Open(path string, opt Options) (Reader, error) {
	kind, err := kindOf(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("无法打开文件 / cannot open the file: %w", err)
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	if kind, err = sniff(kind, head[:n], path); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	h := &hold{b: opt.Budget}
	if err := h.grow(rowMemory); err != nil {
		f.Close()
		return nil, err
	}
	var src rowSource
	if kind == kindXLSX {
		st, err := f.Stat()
		if err == nil {
			src, err = openXLSX(f, st.Size(), f, opt.Sheet, h)
		}
		if err != nil {
			h.release()
			f.Close()
			return nil, err
		}
	} else {
		src = newCSVSource(f, f, strings.EqualFold(filepath.Ext(path), ".tsv"))
	}
	return newReader(src, opt.HeaderRow, h)
}

// OpenReader reads an uploaded file; name (the client's file name) tells its type, as in Open.
// XLSX is a zip archive, which needs random access: when r is an io.ReaderAt that is also an
// io.Seeker (*os.File, multipart.File, *bytes.Reader) it is read in place, from offset 0 to
// its end, otherwise r is first copied to a temporary file (os.TempDir), removed by Close.
// CSV is streamed. Close does not close r itself.
func OpenReader(r io.Reader, name string, opt Options) (Reader, error) {
	kind, err := kindOf(name)
	if err != nil {
		return nil, err
	}
	ra, size, seekable := readerAt(r)
	var head []byte
	if seekable {
		head = make([]byte, 8)
		n, _ := ra.ReadAt(head, 0)
		head = head[:n]
	} else {
		br := newPeekReader(r)
		head, _ = br.Peek(8)
		r = br
	}
	if kind, err = sniff(kind, head, name); err != nil {
		return nil, err
	}
	h := &hold{b: opt.Budget}
	if err := h.grow(rowMemory); err != nil {
		return nil, err
	}
	if kind == kindCSV {
		if seekable {
			r = io.NewSectionReader(ra, 0, size)
		}
		return newReader(newCSVSource(r, nil, strings.EqualFold(filepath.Ext(name), ".tsv")), opt.HeaderRow, h)
	}
	var closer io.Closer
	if !seekable {
		tmp, err := os.CreateTemp("", "tierbase-upload-*.xlsx")
		if err != nil {
			h.release()
			return nil, fmt.Errorf("无法创建临时文件 / cannot create a temporary file: %w", err)
		}
		closer = tempFile{tmp}
		if size, err = io.Copy(tmp, r); err != nil {
			h.release()
			closer.Close()
			return nil, fmt.Errorf("读取上传的文件失败 / cannot read the uploaded file: %w", err)
		}
		ra = tmp
	}
	src, err := openXLSX(ra, size, closer, opt.Sheet, h)
	if err != nil {
		h.release()
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	return newReader(src, opt.HeaderRow, h)
}

// readerAt gives r's random access and size when it has them.
func readerAt(r io.Reader) (io.ReaderAt, int64, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0, false
	}
	sk, ok := r.(io.Seeker)
	if !ok {
		return nil, 0, false
	}
	cur, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, false
	}
	size, err := sk.Seek(0, io.SeekEnd)
	if _, err2 := sk.Seek(cur, io.SeekStart); err != nil || err2 != nil {
		return nil, 0, false
	}
	return ra, size, true
}

// tempFile is a temporary copy of an upload, removed when closed.
type tempFile struct{ *os.File }

func (t tempFile) Close() error {
	err := t.File.Close()
	os.Remove(t.Name())
	return err
}

// reader is the Reader over any rowSource: header detection, padding and empty-row skipping.
type reader struct {
	src     rowSource
	mem     *hold // what it holds of the memory budget
	header  []string
	pending [][]string // rows read ahead while looking for the header
	lines   []int
	line    int
	done    bool
	closed  bool
}

func newReader(src rowSource, headerRow int, mem *hold) (Reader, error) {
	r := &reader{src: src, mem: mem}
	if err := r.findHeader(headerRow); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// nextNonEmpty returns the source's next row that has a non-blank cell.
func (r *reader) nextNonEmpty() ([]string, int, error) {
	for {
		cells, line, err := r.src.next()
		if err != nil {
			return nil, 0, err
		}
		if !blank(cells) {
			return cells, line, nil
		}
	}
}

func (r *reader) findHeader(headerRow int) error {
	if headerRow < 0 {
		return fmt.Errorf("表头行号无效：%d / invalid header row %d", headerRow, headerRow)
	}
	if headerRow > 0 {
		for {
			cells, line, err := r.nextNonEmpty()
			if err == io.EOF {
				return fmt.Errorf("第 %d 行没有表头（文件没有那么多行，或那一行是空的）/ row %d has no header (the file is shorter, or that row is empty)", headerRow, headerRow)
			}
			if err != nil {
				return err
			}
			if line == headerRow {
				r.setHeader(cells, line)
				return nil
			}
			if line > headerRow {
				return fmt.Errorf("第 %d 行是空的，不能作为表头 / row %d is empty and cannot be the header", headerRow, headerRow)
			}
		}
	}
	var rows [][]string
	var lines []int
	for len(rows) < headerScanRows {
		cells, line, err := r.nextNonEmpty()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rows = append(rows, cells)
		lines = append(lines, line)
	}
	if len(rows) == 0 {
		return ErrEmpty
	}
	h := detectHeader(rows)
	r.setHeader(rows[h], lines[h])
	r.pending, r.lines = rows[h+1:], lines[h+1:]
	return nil
}

// detectHeader picks the header among the first non-empty rows (see Options.HeaderRow).
func detectHeader(rows [][]string) int {
	counts := make([]int, len(rows))
	widest := 0
	for i, row := range rows {
		for _, c := range row {
			if !isBlank(c) {
				counts[i]++
			}
		}
		widest = max(widest, counts[i])
	}
	firstWide := -1
	for i, row := range rows {
		if counts[i] < 2 || float64(counts[i]) < 0.6*float64(widest) {
			continue
		}
		if firstWide < 0 {
			firstWide = i
		}
		numeric := 0
		for _, c := range row {
			if !isBlank(c) && looksLikeValue(c) {
				numeric++
			}
		}
		if numeric*2 < counts[i] {
			return i
		}
	}
	// No row is mostly text (column names such as 2024年, 2025年): the first wide row.
	return max(firstWide, 0)
}

// looksLikeValue reports whether a cell reads as a number, amount, percentage, date or time —
// something a data row holds rather than a column name.
func looksLikeValue(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "¥￥$-+(")
	s = strings.TrimRight(s, "%)元")
	if s == "" {
		return false
	}
	digits, other := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.ContainsRune(",.:/- 年月日时分秒TZ", c):
		default:
			other++
		}
	}
	return digits > 0 && other == 0
}

func (r *reader) setHeader(cells []string, line int) {
	n := len(cells)
	for n > 0 && isBlank(cells[n-1]) {
		n--
	}
	r.header = cleanHeader(cells[:n])
	r.line = line
}

// cleanHeader trims names (spaces, full-width spaces, BOMs, zero-width spaces), joins names
// broken over lines, names empty columns 列N and suffixes repeated names: 名称, 名称_2.
func cleanHeader(cells []string) []string {
	out := make([]string, len(cells))
	given := make(map[string]bool, len(cells))
	for i, c := range cells {
		out[i] = cleanName(c)
		if out[i] == "" {
			out[i] = "列" + strconv.Itoa(i+1)
		}
		given[out[i]] = true
	}
	used := make(map[string]bool, len(cells))
	suffix := map[string]int{} // the next suffix to try for a repeated name
	for i, name := range out {
		if used[name] {
			k := max(suffix[name], 2)
			for given[name+"_"+strconv.Itoa(k)] || used[name+"_"+strconv.Itoa(k)] {
				k++
			}
			suffix[name] = k + 1
			name += "_" + strconv.Itoa(k)
			out[i] = name
		}
		used[name] = true
	}
	return out
}

// isSpace reports white space including the ideographic space, BOM and zero-width characters.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u3000' || r == '\uFEFF' || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u00A0'
}

func isBlank(s string) bool { return strings.TrimFunc(s, isSpace) == "" }

func blank(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

// cleanName trims a header name and collapses the white space inside it. A line break inside a
// name (Alt+Enter in Excel) disappears between Chinese characters (累计消费\n金额 → 累计消费金额)
// and becomes one space between Latin ones (Unit\nPrice → Unit Price).
func cleanName(s string) string {
	s = strings.TrimFunc(s, isSpace)
	if !strings.ContainsFunc(s, isSpace) {
		return s
	}
	var b strings.Builder
	var prev rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			b.WriteRune(r)
			prev = r
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r2, sz := utf8.DecodeRuneInString(s[j:])
			if !isSpace(r2) {
				break
			}
			j += sz
		}
		next, _ := utf8.DecodeRuneInString(s[j:])
		gap := s[i:j]
		if !strings.ContainsAny(gap, "\r\n") || prev < utf8.RuneSelf && next < utf8.RuneSelf {
			b.WriteByte(' ')
		}
		i = j
	}
	return b.String()
}

func (r *reader) Header() []string { return r.header }

func (r *reader) Line() int { return r.line }

func (r *reader) Next() ([]string, error) {
	if r.done {
		return nil, io.EOF
	}
	var cells []string
	if len(r.pending) > 0 {
		cells, r.line = r.pending[0], r.lines[0]
		r.pending, r.lines = r.pending[1:], r.lines[1:]
	} else {
		var err error
		var line int
		cells, line, err = r.nextNonEmpty()
		if err != nil {
			if err == io.EOF {
				r.done = true
			}
			return nil, err
		}
		r.line = line
	}
	return fit(cells, len(r.header)), nil
}

// fit pads or cuts a row to n cells.
func fit(cells []string, n int) []string {
	if len(cells) == n {
		return cells
	}
	if len(cells) > n {
		return cells[:n:n]
	}
	out := make([]string, n)
	copy(out, cells)
	return out
}

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.done, r.closed = true, true
	r.mem.release()
	return r.src.close()
}

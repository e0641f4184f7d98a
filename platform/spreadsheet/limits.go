package spreadsheet

import (
	"bytes"
	"io"
	"sync"

	"tierbase/platform/problem"
)

// Limits that keep a hostile or broken file from taking the server's memory. Past them a file
// is refused with a message saying which limit and where, never read into memory.
const (
	// MaxColumns is the most columns a row may have: Excel's (column XFD). XLSX cells right of
	// it are ignored, as Excel would never have written them; a CSV row with more is refused.
	MaxColumns = 16384
	// maxRowBytes bounds the text of one row (record): a cell holds at most 32,767 characters,
	// so a real row is far below it.
	maxRowBytes = 4 << 20
	// rowMemory is what one open reader may need besides its shared strings: a row at
	// maxRowBytes and its cells, and the XML scanner's buffer (up to maxToken). Each open
	// reader holds it from its Budget.
	rowMemory = 2*maxRowBytes + maxToken
)

// Budget is the memory that all the files being read at once may take together — their
// shared-strings tables and row buffers — so that a few hostile uploads (an XLSX of 2 MB
// whose shared strings inflate to 1 GB) cannot exhaust the server: one Budget per server,
// shared by every upload being read. A reader that would go past it is refused with a 413
// "upload_memory"; what it held is given back when it is closed. A nil *Budget is no limit
// (the command line reads one file at a time).
type Budget struct {
	total int64
	mu    sync.Mutex
	used  int64
}

// NewBudget returns a budget of the given number of bytes.
func NewBudget(bytes int64) *Budget { return &Budget{total: bytes} }

// Used reports the bytes held by the readers open now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// hold is what one reader holds of a Budget.
type hold struct {
	b    *Budget
	held int64
}

// grow takes n more bytes, or refuses with a 413 when the budget has not that much left.
func (h *hold) grow(n int64) error {
	if h.b == nil || n <= 0 {
		return nil
	}
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	if h.b.used+n > h.b.total {
		return problem.New(413, "upload_memory", "total", h.b.total>>20, "used", (h.b.used-h.held)>>20)
	}
	h.b.used += n
	h.held += n
	return nil
}

// release gives back everything held.
func (h *hold) release() {
	if h.b == nil || h.held == 0 {
		return
	}
	h.b.mu.Lock()
	h.b.used -= h.held
	h.b.mu.Unlock()
	h.held = 0
}

// tooWide and rowTooLarge are the errors of a row past MaxColumns or maxRowBytes; line is its
// 1-based row number.
func tooWide(line int) error {
	return problem.Invalid("too_many_columns", "max", MaxColumns).AtRow(line)
}

func rowTooLarge(line int) error {
	return problem.Invalid("row_too_large", "max", maxRowBytes>>20).AtRow(line)
}

// recordLimiter passes CSV text through to encoding/csv, following its records as the parser
// does (quotes, doubled quotes, lazy quotes, line breaks inside quotes), and fails with a clear
// error on the first record with more than MaxColumns cells or maxRowBytes bytes — before the
// parser has built it. encoding/csv itself would read a 96 MB line of 48 million commas
// whole, into many gigabytes.
type recordLimiter struct {
	r     io.Reader
	sep   byte
	state int // fieldStart, unquoted, quoted, quoteInQuoted
	cols  int // separators seen in this record
	bytes int // bytes of this record
	line  int // 1-based number of this record, as Reader.Line counts
	err   error
}

const (
	fieldStart = iota
	unquoted
	quoted
	quoteInQuoted // a quote inside a quoted field: its end, or half of a doubled quote
)

func newRecordLimiter(r io.Reader, sep rune) *recordLimiter {
	return &recordLimiter{r: r, sep: byte(sep), line: 1}
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		// A whole record on one line without quotes and within the limits, as nearly all
		// are: its separators counted at once. (Tried at a record's start only, so that a
		// long line with a quote is not searched again from each of its bytes.)
		if l.state == fieldStart && l.bytes == 0 {
			if end := bytes.IndexByte(p[i:n], '\n'); end >= 0 && end < maxRowBytes {
				line := p[i : i+end]
				if bytes.IndexByte(line, '"') < 0 && bytes.Count(line, []byte{l.sep}) < MaxColumns {
					l.line++
					i += end // the loop passes the newline
					continue
				}
			}
		}
		// Inside a field, the bytes up to a quote (quoted) or to the separator or line's end
		// (unquoted) change nothing but the record's size: passed over in a tight loop.
		if l.state == quoted || l.state == unquoted {
			j := i
			if l.state == quoted {
				for j < n && p[j] != '"' {
					j++
				}
			} else {
				for j < n && p[j] != l.sep && p[j] != '\n' {
					j++
				}
			}
			if l.bytes+j-i > maxRowBytes {
				i += maxRowBytes - l.bytes
				l.bytes = maxRowBytes + 1
				l.err = rowTooLarge(l.line)
				return i, l.err
			}
			if l.bytes += j - i; j == n {
				break
			}
			i = j
		}
		c := p[i]
		if l.bytes++; l.bytes > maxRowBytes {
			l.err = rowTooLarge(l.line)
			return i, l.err
		}
		switch {
		case l.state == quoted:
			if c == '"' {
				l.state = quoteInQuoted
			}
			continue
		case l.state == quoteInQuoted && c == '"':
			l.state = quoted // a doubled quote
			continue
		case l.state == quoteInQuoted && c != l.sep && c != '\n' && c != '\r':
			l.state = quoted // a lone quote inside a quoted field (LazyQuotes keeps it)
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
			if l.state != unquoted {
				l.state = unquoted
			}
		}
		if l.cols >= MaxColumns {
			l.err = tooWide(l.line)
			return i, l.err
		}
	}
	return n, err
}

func init() {
	problem.AddMessage("too_many_columns", "这一行超过 {max} 列（Excel 的上限），文件可能已损坏或不是表格",
		"this row has more than {max} columns (Excel's limit); the file may be damaged or not a table")
	problem.AddMessage("row_too_large", "这一行超过 {max} MB，文件可能已损坏或不是表格",
		"this row is larger than {max} MB; the file may be damaged or not a table")
	problem.AddMessage("upload_memory", "读取这个文件需要的内存超过服务器为上传文件预留的 {total} MB（其他正在读取的文件已占用 {used} MB）：请稍后再试，或把文件拆成几个较小的文件",
		"reading this file needs more memory than the {total} MB the server sets aside for uploads ({used} MB is taken by other files being read); try again later, or split it into smaller files")
}

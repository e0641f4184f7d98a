package spreadsheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"tierbase/platform/problem"
)

// sampleSize is how much of a CSV file is looked at to detect its encoding and separator.
const sampleSize = 64 << 10

func newPeekReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, sampleSize) }

// csvSource reads CSV records through an encoding-detecting decoder.
type csvSource struct {
	cr     *csv.Reader
	closer io.Closer
	// extra counts the line breaks inside quoted cells of the records read so far, so that
	// row numbers count records as a spreadsheet program shows them.
	extra int
}

// newCSVSource detects r's encoding and separator (tab wins ties when tsv) and reads it.
func newCSVSource(r io.Reader, closer io.Closer, tsv bool) *csvSource {
	br := newPeekReader(r)
	sample, _ := br.Peek(sampleSize)
	var text io.Reader
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		text = br
		sample = sample[3:]
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}), bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		// Excel's "Unicode text": UTF-16 with a BOM, tab separated.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		text = transform.NewReader(br, dec.NewDecoder())
		sample, _ = io.ReadAll(transform.NewReader(bytes.NewReader(sample), dec.NewDecoder()))
	default:
		text = &autoDecoder{br: br}
	}
	sep := detectSeparator(sample, tsv)
	cr := csv.NewReader(newRecordLimiter(text, sep))
	cr.Comma = sep
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	return &csvSource{cr: cr, closer: closer}
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		if problem.As(err) != nil {
			return nil, 0, err // a limit (too many columns, too large a row)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, fmt.Errorf("CSV 第 %d 行读取失败 / cannot read CSV line %d: %w", pe.StartLine, pe.StartLine, pe.Err)
		}
		return nil, 0, fmt.Errorf("读取 CSV 文件失败 / cannot read the CSV file: %w", err)
	}
	start, _ := s.cr.FieldPos(0)
	line := start - s.extra
	for i, c := range rec {
		if n := strings.Count(c, "\n"); n > 0 {
			s.extra += n
		}
		rec[i] = unguard(c)
	}
	return rec, line, nil
}

func (s *csvSource) close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// unguard undoes the apostrophe the CSV writer puts before cells that a spreadsheet program
// would run as formulas ('=1+1 → =1+1; see guard).
func unguard(c string) string {
	if len(c) > 1 && c[0] == '\'' && formulaLike(strings.TrimLeft(c, "'")) {
		return c[1:]
	}
	return c
}

// formulaLike reports text a spreadsheet program would take for a formula: starting with = or
// @, or with + or - when it is not a number or phone number ("-5", "+86 139 1234 5678").
func formulaLike(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '@':
		return true
	case '+', '-':
		return strings.Trim(s, "0123456789 .,+-()%") != ""
	}
	return false
}

// detectSeparator picks among , tab ; the one that splits the sample's first records (outside
// quotes) into the same number of cells most often. Separators and quotes are ASCII bytes that
// never occur inside GB18030 characters, so the raw sample serves for GB18030 too.
func detectSeparator(sample []byte, tsv bool) rune {
	cands := []byte{',', '\t', ';'}
	if tsv {
		cands = []byte{'\t', ',', ';'}
	}
	const maxRecords = 20
	var counts [3][]int
	var cur [3]int
	inQuote, nonEmpty := false, false
	for i := 0; i < len(sample); i++ {
		c := sample[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			if nonEmpty {
				for k := range cands {
					counts[k] = append(counts[k], cur[k])
				}
			}
			cur, nonEmpty = [3]int{}, false
			if len(counts[0]) == maxRecords {
				i = len(sample)
			}
		case c == '\r':
		default:
			nonEmpty = true
			for k, s := range cands {
				if c == s {
					cur[k]++
				}
			}
		}
	}
	if nonEmpty && len(sample) < sampleSize && len(counts[0]) < maxRecords { // the last line of a short file
		for k := range cands {
			counts[k] = append(counts[k], cur[k])
		}
	}
	best, bestFreq, bestWidth := 0, 0, 0
	for k := range cands {
		freq := map[int]int{}
		for _, n := range counts[k] {
			if n > 0 {
				freq[n]++
			}
		}
		f, w := 0, 0
		for n, c := range freq {
			if c > f || c == f && n > w {
				f, w = c, n
			}
		}
		if f > bestFreq || f == bestFreq && w > bestWidth && f > 0 {
			best, bestFreq, bestWidth = k, f, w
		}
	}
	return rune(cands[best])
}

// autoDecoder passes text through as UTF-8 until it meets the first non-ASCII byte; there it
// looks at up to sampleSize bytes and, if they are not valid UTF-8, decodes the rest of the
// stream as GB18030 (which covers GBK and GB2312), as Excel on Chinese Windows writes CSV.
type autoDecoder struct {
	br  *bufio.Reader
	dec io.Reader
}

func (a *autoDecoder) Read(p []byte) (int, error) {
	if a.dec != nil {
		return a.dec.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := a.br.Peek(1); err != nil {
		return 0, err
	}
	buf, _ := a.br.Peek(a.br.Buffered())
	i := 0
	for i < len(buf) && i < len(p) && buf[i] < utf8.RuneSelf {
		i++
	}
	if i > 0 {
		n := copy(p, buf[:i])
		a.br.Discard(n)
		return n, nil
	}
	sample, _ := a.br.Peek(sampleSize)
	if validUTF8Prefix(sample, len(sample) < sampleSize) {
		a.dec = a.br
	} else {
		a.dec = transform.NewReader(a.br, simplifiedchinese.GB18030.NewDecoder())
	}
	return a.dec.Read(p)
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a character cut at its end unless
// b is the whole rest of the file.
func validUTF8Prefix(b []byte, whole bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if whole {
		return false
	}
	for cut := 1; cut <= 3 && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) && !utf8.FullRune(b[len(b)-cut:]) {
			return true
		}
	}
	return false
}

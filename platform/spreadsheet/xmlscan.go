package spreadsheet

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small pull tokenizer for the large parts of an XLSX file (worksheets, shared
// strings), about five times faster than encoding/xml, which allocates for every token: a
// million-row sheet has tens of millions. It gives start tags (with attributes and self-closing
// tags also reported as an end), end tags, and text, with names stripped of their namespace
// prefix; it decodes the five XML entities and character references, reads CDATA, normalizes
// line ends as XML requires, and skips comments, processing instructions and DOCTYPE. It does
// not check well-formedness, which the reader does not need. Token data is valid until the
// next call to next: most of it is a slice of the read buffer itself, not a copy.
type xmlScanner struct {
	br         *bufio.Reader
	kind       tokKind
	name       []byte // local name of a start or end tag
	attrs      []xmlAttr
	text       []byte // decoded text
	pendingEnd bool   // the last start tag was self-closing
	tag        []byte // a tag longer than the read buffer, reused
	raw        []byte // text longer than the read buffer, reused
	decoded    []byte // text with entities or \r decoded, reused
}

type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
)

type xmlAttr struct {
	name  []byte // local name
	value []byte // decoded
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{br: bufio.NewReaderSize(r, 64<<10)}
}

var errXMLSyntax = errors.New("XML syntax error")

// next reads the next token; io.EOF at the end.
func (s *xmlScanner) next() error {
	if s.pendingEnd {
		s.pendingEnd = false
		s.kind = tokEnd
		return nil
	}
	for {
		if ok, err := s.inWindow(); ok {
			return err
		}
		head, err := s.br.Peek(2)
		if len(head) == 0 {
			return err
		}
		if head[0] != '<' {
			raw, err := s.readSlice('<', &s.raw)
			if err != nil && err != io.EOF {
				return err
			}
			if err == nil {
				s.br.UnreadByte() // leave the '<' for the next call
				raw = raw[:len(raw)-1]
			}
			s.kind, s.text = tokText, raw
			if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
				s.decoded = unescape(raw, s.decoded[:0])
				s.text = s.decoded
			}
			return nil
		}
		if len(head) < 2 {
			return errXMLSyntax
		}
		c := head[1]
		s.br.Discard(1)
		if c == '/' || c == '?' || c == '!' {
			s.br.Discard(1)
		}
		switch c {
		case '/':
			tag, err := s.readSlice('>', &s.tag)
			if err != nil {
				return errXMLSyntax
			}
			s.kind, s.name = tokEnd, localName(bytes.TrimSpace(tag[:len(tag)-1]))
			return nil
		case '?':
			if err := s.skipPast("?>"); err != nil {
				return err
			}
		case '!':
			if err := s.special(); err != nil {
				return err
			}
			if s.kind == tokText {
				return nil
			}
		default:
			return s.startTag()
		}
	}
}

// inWindow reads the next token straight from the read buffer when it is there whole and is
// text (ending at a '<'), an end tag or a start tag: the usual case, in a few calls instead of
// a few a byte. It reports false, having read nothing, for anything else (then next reads it).
func (s *xmlScanner) inWindow() (bool, error) {
	w, _ := s.br.Peek(s.br.Buffered())
	if len(w) < 2 {
		return false, nil
	}
	if w[0] != '<' {
		i := bytes.IndexByte(w, '<')
		if i < 0 {
			return false, nil
		}
		raw := w[:i]
		s.br.Discard(i)
		s.kind, s.text = tokText, raw
		if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
			s.decoded = unescape(raw, s.decoded[:0])
			s.text = s.decoded
		}
		return true, nil
	}
	if w[1] == '?' || w[1] == '!' {
		return false, nil
	}
	j := bytes.IndexByte(w, '>')
	if j < 0 {
		return false, nil
	}
	if w[1] == '/' {
		s.br.Discard(j + 1)
		s.kind, s.name = tokEnd, localName(bytes.TrimSpace(w[2:j]))
		return true, nil
	}
	tag := w[1 : j+1]
	if !balancedQuotes(tag) {
		return false, nil
	}
	s.br.Discard(j + 1)
	return true, s.parseTag(tag)
}

// special reads what follows "<!": a comment, CDATA (as text) or a DOCTYPE.
func (s *xmlScanner) special() error {
	s.kind = 0
	head, err := s.br.Peek(7)
	switch {
	case bytes.HasPrefix(head, []byte("--")):
		s.br.Discard(2)
		return s.skipPast("-->")
	case bytes.HasPrefix(head, []byte("[CDATA[")):
		s.br.Discard(7)
		s.raw = s.raw[:0]
		for {
			part, err := s.readUntil('>', s.raw)
			s.raw = part
			if err != nil || len(part) > maxToken {
				return errXMLSyntax
			}
			if bytes.HasSuffix(part, []byte("]]>")) {
				s.decoded = normalizeNewlines(part[:len(part)-3], s.decoded[:0])
				s.kind, s.text = tokText, s.decoded
				return nil
			}
		}
	case err != nil && len(head) == 0:
		return errXMLSyntax
	}
	return s.skipDirective()
}

// skipDirective discards a <!DOCTYPE …> or other directive after its "<!", as encoding/xml
// does: its first byte is part of it, quoted > and nested <…> do not end it.
func (s *xmlScanner) skipDirective() error {
	if _, err := s.br.ReadByte(); err != nil {
		return errXMLSyntax
	}
	var quote byte
	depth := 0
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return errXMLSyntax
		}
		switch {
		case c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '>' && depth == 0:
			return nil
		case c == '<':
			depth++
		case c == '>':
			depth--
		}
	}
}

// skipPast discards input up to and including end.
func (s *xmlScanner) skipPast(end string) error {
	last := end[len(end)-1]
	var tail []byte
	for {
		part, err := s.readUntil(last, s.raw[:0])
		s.raw = part
		if err != nil {
			return errXMLSyntax
		}
		tail = append(tail, part...)
		if len(tail) > len(end) {
			tail = tail[len(tail)-len(end):]
		}
		if bytes.HasSuffix(tail, []byte(end)) {
			return nil
		}
	}
}

// maxToken bounds one tag or text: Excel's cells hold at most 32,767 characters, and a zip
// bomb must not make one text fill the memory.
const maxToken = 16 << 20

var errTokenTooLarge = errors.New("XML text or tag larger than 16 MB")

// readSlice reads input up to and including delim: a slice of the read buffer when it is
// there whole, else a copy in *buf (reused).
func (s *xmlScanner) readSlice(delim byte, buf *[]byte) ([]byte, error) {
	part, err := s.br.ReadSlice(delim)
	if err != bufio.ErrBufferFull {
		return part, err
	}
	b, err := s.readUntil(delim, append((*buf)[:0], part...))
	*buf = b
	return b, err
}

// readUntil appends input up to and including delim to buf.
func (s *xmlScanner) readUntil(delim byte, buf []byte) ([]byte, error) {
	for {
		part, err := s.br.ReadSlice(delim)
		buf = append(buf, part...)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
		if len(buf) > maxToken {
			return buf, errTokenTooLarge
		}
	}
}

// startTag reads a start tag after its '<': name, attributes, and whether it closes itself.
// A '>' inside a quoted attribute value does not end the tag.
func (s *xmlScanner) startTag() error {
	tag, err := s.readSlice('>', &s.tag)
	if err != nil || len(tag) > maxToken {
		return errXMLSyntax
	}
	if !balancedQuotes(tag) {
		tag = append(s.tag[:0], tag...) // copied before reading on
		for {
			tag, err = s.readUntil('>', tag)
			s.tag = tag
			if err != nil || len(tag) > maxToken {
				return errXMLSyntax
			}
			if balancedQuotes(tag) {
				break
			}
		}
	}
	return s.parseTag(tag)
}

// parseTag reads a start tag from after its '<' to its '>' included.
func (s *xmlScanner) parseTag(tag []byte) error {
	t := tag[:len(tag)-1]
	if n := len(t); n > 0 && t[n-1] == '/' {
		s.pendingEnd = true
		t = t[:n-1]
	}
	i := 0
	for i < len(t) && !isXMLSpace(t[i]) {
		i++
	}
	s.kind, s.name = tokStart, localName(t[:i])
	s.attrs = s.attrs[:0]
	for {
		for i < len(t) && isXMLSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return nil
		}
		j := i
		for j < len(t) && t[j] != '=' && !isXMLSpace(t[j]) {
			j++
		}
		name := localName(t[i:j])
		for j < len(t) && isXMLSpace(t[j]) {
			j++
		}
		if j >= len(t) || t[j] != '=' {
			return errXMLSyntax
		}
		j++
		for j < len(t) && isXMLSpace(t[j]) {
			j++
		}
		if j >= len(t) || t[j] != '"' && t[j] != '\'' {
			return errXMLSyntax
		}
		q := t[j]
		k := bytes.IndexByte(t[j+1:], q)
		if k < 0 {
			return errXMLSyntax
		}
		value := t[j+1 : j+1+k]
		if bytes.IndexByte(value, '&') >= 0 || bytes.IndexByte(value, '\r') >= 0 {
			value = unescape(value, nil)
		}
		s.attrs = append(s.attrs, xmlAttr{name: name, value: value})
		i = j + 1 + k + 1
	}
}

func balancedQuotes(tag []byte) bool {
	var q byte
	for _, c := range tag {
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		}
	}
	return q == 0
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName strips a namespace prefix (x:row → row) the way encoding/xml splits names.
func localName(name []byte) []byte {
	if i := bytes.IndexByte(name, ':'); i >= 1 && i <= len(name)-2 {
		return name[i+1:]
	}
	return name
}

// attr returns the value of the current start tag's attribute with this local name.
func (s *xmlScanner) attr(local string) []byte {
	for _, a := range s.attrs {
		if string(a.name) == local {
			return a.value
		}
	}
	return nil
}

// unescape appends raw XML text to dst with entities and character references decoded and
// line ends normalized (\r\n and \r → \n). Unknown entities are kept as written.
func unescape(raw, dst []byte) []byte {
	if bytes.IndexByte(raw, '&') < 0 {
		return normalizeNewlines(raw, dst)
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			i++
			continue
		}
		if c != '&' {
			dst = append(dst, c)
			i++
			continue
		}
		end := bytes.IndexByte(raw[i:], ';')
		if end < 0 {
			dst = append(dst, c)
			i++
			continue
		}
		ent := raw[i+1 : i+end]
		switch string(ent) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				dst = append(dst, c)
				i++
				continue
			}
			dst = utf8.AppendRune(dst, r)
		}
		i += end + 1
	}
	return dst
}

func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ent[1] == 'x' {
		n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
	}
	if err != nil || n > utf8.MaxRune || n >= 0xD800 && n <= 0xDFFF || n == 0 {
		return 0, false
	}
	return rune(n), true
}

func normalizeNewlines(raw, dst []byte) []byte {
	if bytes.IndexByte(raw, '\r') < 0 {
		return append(dst, raw...)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			continue
		}
		dst = append(dst, raw[i])
	}
	return dst
}

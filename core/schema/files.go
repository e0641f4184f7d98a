package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"tierbase/platform/files"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// FileRef is one file of a 附件, 图片 or 签名 value: the file kept by its content hash
// (platform/files) and the name it was uploaded under. Size and Type are the kept file's,
// filled in by the records engine, whatever a writer says.
type FileRef struct {
	Hash string `json:"hash"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

// maxFiles is the most files one value holds.
const maxFiles = 50

// maxFileName is the longest file name kept, in characters.
const maxFileName = 200

// Accepted types of uploads by default: 图片 takes the images browsers show, 签名 a PNG,
// 附件 what offices exchange (images, PDF, Office documents and archives — DetectContentType
// reads .docx and .xlsx as zip —, plain text, audio, video). Never HTML or SVG (text/html,
// text/xml), which a browser would run.
var (
	ImageTypes     = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}
	signatureTypes = []string{"image/png"}
	FileTypes      = []string{"image/", "application/pdf", "application/zip", "application/x-rar-compressed",
		"application/x-gzip", "text/plain", "audio/", "video/"}
)

// FileLimits are the limits of uploads to f: its MaxSize and Accept, or the defaults of its
// type; an image field accepts images only, a signature a PNG only.
func (f *Field) FileLimits() files.Limits {
	l := files.Limits{MaxSize: f.MaxSize, Accept: f.Accept}
	switch f.Type {
	case Image:
		l.Accept = nil
		for _, a := range f.Accept {
			if strings.HasPrefix(a, "image/") && a != "image/svg+xml" {
				l.Accept = append(l.Accept, a)
			}
		}
		if len(l.Accept) == 0 {
			l.Accept = ImageTypes
		}
	case Signature:
		l.Accept = signatureTypes
	default:
		if len(l.Accept) == 0 {
			l.Accept = FileTypes
		}
	}
	if l.MaxSize <= 0 {
		l.MaxSize = files.DefaultMaxSize
	}
	return l
}

// ParseFiles reads a file value: a JSON list of {"hash", "name", …} (other keys, such as the
// url the API adds, are ignored). Names lose any folder and control characters.
func ParseFiles(s string) ([]FileRef, bool) {
	var raw []map[string]any
	if json.Unmarshal([]byte(s), &raw) != nil {
		return nil, false
	}
	return fileRefs(raw)
}

// fileRefs reads decoded file objects, keeping each hash once.
func fileRefs(raw []map[string]any) ([]FileRef, bool) {
	out := make([]FileRef, 0, len(raw))
	seen := map[string]bool{}
	for _, m := range raw {
		h, _ := m["hash"].(string)
		if !files.ValidHash(h) {
			return nil, false
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		name, _ := m["name"].(string)
		r := FileRef{Hash: h, Name: FileName(name, h)}
		r.Type, _ = m["type"].(string)
		if n, ok := toNumber(m["size"]); ok && n >= 0 {
			r.Size = int64(n)
		}
		out = append(out, r)
	}
	return out, true
}

// FileName is the name kept for a file uploaded as s: the last element of a path, without
// control characters, at most maxFileName characters; the start of its hash if none is left.
func FileName(s, hash string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s))
	if r := []rune(s); len(r) > maxFileName {
		s = string(r[:maxFileName])
	}
	if s == "" {
		return hash[:8]
	}
	return s
}

// FilesJSON writes refs as a file value is stored: a JSON list; nil when there are none.
func FilesJSON(refs []FileRef) any {
	if len(refs) == 0 {
		return nil
	}
	b, _ := json.Marshal(refs)
	return string(b)
}

// normalizeFiles reads a file value given as a list of file objects, one object, or the
// JSON text of a list.
func (f *Field) normalizeFiles(v any) (any, *problem.Error) {
	bad := problem.Invalid("bad_files").OnField(f.Name)
	var refs []FileRef
	ok := false
	switch x := v.(type) {
	case string:
		refs, ok = ParseFiles(x)
	case map[string]any:
		refs, ok = fileRefs([]map[string]any{x})
	case []any:
		raw := make([]map[string]any, len(x))
		for i, e := range x {
			if raw[i], ok = e.(map[string]any); !ok {
				return nil, bad
			}
		}
		refs, ok = fileRefs(raw)
	}
	if !ok {
		return nil, bad
	}
	limit := maxFiles
	if f.Type == Signature {
		limit = 1
	}
	if len(refs) > limit {
		return nil, problem.Invalid("too_many_files", "max", limit).OnField(f.Name)
	}
	return FilesJSON(refs), nil
}

// FilePath is the address (below the server's) that the API serves file hash of field f of
// record id of t at; with "?thumb=1", its thumbnail.
func FilePath(t *Table, id int64, f *Field, hash string) string {
	return fmt.Sprintf("/api/tables/%s/records/%d/files/%s/%s", t.ID, id, f.ID, hash)
}

// AppendFiles appends file value v of field f of record id of t as the API and webhooks show
// it: each file with the url it is served at (base, the server's address or "", before
// FilePath) and, for an image, its thumbnail's.
func AppendFiles(b []byte, base string, t *Table, id int64, f *Field, v string) []byte {
	refs, _ := ParseFiles(v)
	b = append(b, '[')
	for i, ref := range refs {
		if i > 0 {
			b = append(b, ',')
		}
		url := base + FilePath(t, id, f, ref.Hash)
		b = append(b, `{"hash":`...)
		b = store.AppendJSONString(b, ref.Hash)
		b = append(b, `,"name":`...)
		b = store.AppendJSONString(b, ref.Name)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, ref.Size, 10)
		b = append(b, `,"type":`...)
		b = store.AppendJSONString(b, ref.Type)
		b = append(b, `,"url":`...)
		b = store.AppendJSONString(b, url)
		if slices.Contains(ImageTypes, ref.Type) {
			b = append(b, `,"thumb":`...)
			b = store.AppendJSONString(b, url+"?thumb=1")
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

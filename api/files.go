package api

import (
	"mime"
	"net/http"
	"os"
	"slices"
	"strconv"

	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// uploadFile keeps an uploaded file (the multipart "file" part) for a 附件, 图片 or 签名 field
// and answers its reference, to be written into a record's value.
func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	f := t.Field(r.PathValue("field"))
	if f == nil {
		return problem.NotFound("field", r.PathValue("field"))
	}
	part, err := uploaded(w, r)
	if err != nil {
		return err
	}
	info, err := s.Records.Upload(actor(r), t, f, part)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, schema.FileRef{Hash: info.Hash, Name: schema.FileName(part.FileName(), info.Hash), Size: info.Size, Type: info.Type})
}

// inlineTypes are the types a file is shown as in the browser; every other type (HTML and
// SVG above all, which would run) is downloaded.
var inlineTypes = schema.ImageTypes

// serveFile sends a file of a record's field to someone who may read the record and see the
// field (records.Service.File), as a download unless it is an image.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) error {
	t, id, err := s.record(r)
	if err != nil {
		return err
	}
	f := t.Field(r.PathValue("field"))
	if f == nil {
		return problem.NotFound("field", r.PathValue("field"))
	}
	thumb := r.URL.Query().Get("thumb") == "1"
	file, ref, err := s.Records.File(r.Context(), actor(r), t, id, f, r.PathValue("hash"), thumb)
	if err != nil {
		return err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	typ := ref.Type
	disposition := "inline"
	if thumb {
		typ = http.DetectContentType(head(file))
	}
	if !slices.Contains(inlineTypes, typ) {
		typ, disposition = "application/octet-stream", "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": ref.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-cache") // access is asked again each time
	h.Set("ETag", strconv.Quote(ref.Hash+map[bool]string{true: "-thumb"}[thumb]))
	http.ServeContent(w, r, "", fi.ModTime(), file)
	return nil
}

// head is the start of f, which its type is read from.
func head(f *os.File) []byte {
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	return b[:n]
}

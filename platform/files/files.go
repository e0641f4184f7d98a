// Package files keeps uploaded files (attachments, images, signatures) in a directory by the
// SHA-256 of their content: one copy however often a file is uploaded, never changed once
// written. An upload is checked against limits (size, and the type read from its content,
// never from its name) before anything is kept, and an image gets a thumbnail as it arrives.
// Who may read a file is not this package's business: the records that hold it decide.
package files

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // thumbnails of GIFs too
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/image/draw"

	"tierbase/platform/problem"
)

// DirName is the folder of the data directory that holds the files.
const DirName = "files"

// DefaultMaxSize is the size limit of a field that sets none: 20 MB.
const DefaultMaxSize = 20 << 20

// ThumbSize is the longest side of a thumbnail, in pixels.
const ThumbSize = 256

// maxPixels is the largest image given a thumbnail (decoding a larger one would take more
// memory than a thumbnail is worth; the file itself is kept all the same).
const maxPixels = 50_000_000

// Store is a directory of files named by their content hash.
type Store struct {
	Dir string
}

// Info describes a stored file. Type is read from the content (http.DetectContentType).
type Info struct {
	Hash string `json:"hash"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

// Limits are what an upload may be: at most MaxSize bytes (0: DefaultMaxSize), of a type
// matching one of Accept ("image/" matches every image type, "*" anything).
type Limits struct {
	MaxSize int64
	Accept  []string
}

// Allows reports whether a file of type typ is accepted.
func (l Limits) Allows(typ string) bool {
	typ, _, _ = strings.Cut(typ, ";")
	for _, a := range l.Accept {
		if a == "*" || a == typ || strings.HasSuffix(a, "/") && strings.HasPrefix(typ, a) {
			return true
		}
	}
	return false
}

func (l Limits) max() int64 {
	if l.MaxSize > 0 {
		return l.MaxSize
	}
	return DefaultMaxSize
}

// ValidHash reports whether h is written as hashes are: 64 lower-case hex digits.
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// path is where the file of hash h lives: <dir>/ab/abcdef….
func (s *Store) path(h string) string { return filepath.Join(s.Dir, h[:2], h) }

// thumbPath is where the thumbnail of the image of hash h lives.
func (s *Store) thumbPath(h string) string { return s.path(h) + ".thumb" }

// Put reads a file from r and keeps it, unless it is over the size limit (413 file_too_large)
// or of a type the limits refuse (415 file_type_refused): then nothing is kept. An image
// (JPEG, PNG or GIF) gets its thumbnail.
func (s *Store) Put(r io.Reader, lim Limits) (Info, error) {
	if err := os.MkdirAll(s.Dir, 0o750); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(s.Dir, "upload-*.part")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	defer tmp.Close()
	h := sha256.New()
	var head bytes.Buffer
	n, err := io.Copy(io.MultiWriter(tmp, h, &prefix{&head, 512}), io.LimitReader(r, lim.max()+1))
	if err != nil {
		return Info{}, err
	}
	if n > lim.max() {
		return Info{}, problem.New(413, "file_too_large", "max", FormatSize(lim.max()))
	}
	if n == 0 {
		return Info{}, problem.Invalid("file_empty")
	}
	info := Info{Hash: hex.EncodeToString(h.Sum(nil)), Size: n, Type: http.DetectContentType(head.Bytes())}
	if !lim.Allows(info.Type) {
		typ, _, _ := strings.Cut(info.Type, ";")
		return Info{}, problem.New(415, "file_type_refused", "type", typ, "allowed", lim.String())
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, err
	}
	if err := tmp.Close(); err != nil {
		return Info{}, err
	}
	dest := s.path(info.Hash)
	if _, err := os.Stat(dest); err == nil { // kept already: one copy, uploaded again now (see Prune)
		now := time.Now()
		return info, os.Chtimes(dest, now, now)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o750); err != nil {
		return Info{}, err
	}
	if err := s.thumbnail(tmp.Name(), info); err != nil {
		return Info{}, err
	}
	return info, os.Rename(tmp.Name(), dest)
}

// prefix keeps the first n bytes written to it.
type prefix struct {
	b *bytes.Buffer
	n int
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.n - p.b.Len(); room > 0 {
		p.b.Write(b[:min(room, len(b))])
	}
	return len(b), nil
}

// thumbnail writes the thumbnail of the image in file: at most ThumbSize pixels on its
// longest side, JPEG for a JPEG, PNG otherwise (keeping transparency, as a signature's).
// A file that is not an image it can decode, or too large, gets none.
func (s *Store) thumbnail(file string, info Info) error {
	if info.Type != "image/jpeg" && info.Type != "image/png" && info.Type != "image/gif" {
		return nil
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	src, _, err := image.Decode(f)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	if info.Type == "image/jpeg" {
		err = jpeg.Encode(&buf, Scale(src, ThumbSize), &jpeg.Options{Quality: 80})
	} else {
		err = png.Encode(&buf, Scale(src, ThumbSize))
	}
	if err != nil {
		return err
	}
	return os.WriteFile(s.thumbPath(info.Hash), buf.Bytes(), 0o640)
}

// Scale returns img shrunk so that its longest side is at most side pixels (img itself when
// it is that small already).
func Scale(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	if w >= h {
		w, h = side, max(1, h*side/w)
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	return dst
}

// Prune removes the kept files keep refuses whose last upload was before cutoff (a file just
// uploaded may not be in a record yet), with their thumbnails, and the pieces of uploads cut
// off before cutoff. It returns how many files it removed.
func (s *Store) Prune(keep func(hash string) bool, cutoff time.Time) (int, error) {
	removed := 0
	err := filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // no file was ever uploaded, or one went while we walked
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) {
			return nil
		}
		switch name := d.Name(); {
		case strings.HasSuffix(name, ".part"):
			return os.Remove(path)
		case ValidHash(name) && !keep(name):
			if err := os.Remove(path); err != nil {
				return err
			}
			removed++
			if err := os.Remove(path + ".thumb"); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	return removed, err
}

// Stat describes the kept file of hash h, or returns os.ErrNotExist.
func (s *Store) Stat(h string) (Info, error) {
	if !ValidHash(h) {
		return Info{}, os.ErrNotExist
	}
	f, err := os.Open(s.path(h))
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Info{}, err
	}
	return Info{Hash: h, Size: fi.Size(), Type: http.DetectContentType(head[:n])}, nil
}

// Open opens the kept file of hash h (its thumbnail if thumb and it has one; else
// os.ErrNotExist).
func (s *Store) Open(h string, thumb bool) (*os.File, error) {
	if !ValidHash(h) {
		return nil, os.ErrNotExist
	}
	if thumb {
		return os.Open(s.thumbPath(h))
	}
	return os.Open(s.path(h))
}

// FormatSize writes a byte count as people read it: 20 MB, 512 KB, 100 B.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// String lists the accepted types as people read them: image/*、application/pdf.
func (l Limits) String() string {
	out := make([]string, len(l.Accept))
	for i, a := range l.Accept {
		if strings.HasSuffix(a, "/") {
			a += "*"
		}
		out[i] = a
	}
	return strings.Join(out, "、")
}

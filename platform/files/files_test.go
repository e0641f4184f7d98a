package files_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tierbase/platform/files"
	"tierbase/platform/problem"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, filepath.Base(path))
		}
		return nil
	})
	return out
}

func TestPut(t *testing.T) {
	s := &files.Store{Dir: t.TempDir()}
	images := files.Limits{MaxSize: 1 << 20, Accept: []string{"image/"}}

	// a JPEG gets a JPEG thumbnail of at most 256 pixels, kept once
	img := image.NewRGBA(image.Rect(0, 0, 300, 1000))
	for y := 0; y < 1000; y++ {
		img.Set(y%300, y, color.RGBA{0, 0, 255, 255})
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	info, err := s.Put(bytes.NewReader(b.Bytes()), images)
	if err != nil || info.Type != "image/jpeg" || info.Size != int64(b.Len()) || !files.ValidHash(info.Hash) {
		t.Fatalf("put: %+v %v", info, err)
	}
	if again, err := s.Put(bytes.NewReader(b.Bytes()), images); err != nil || again != info || len(entries(t, s.Dir)) != 2 {
		t.Fatalf("put again: %+v %v, kept %v", again, err, entries(t, s.Dir))
	}
	f, err := s.Open(info.Hash, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(f)
	f.Close()
	if err != nil || format != "jpeg" || cfg.Width != 76 || cfg.Height != 256 {
		t.Fatalf("thumbnail: %v %s %v", cfg, format, err)
	}
	if st, err := s.Stat(info.Hash); err != nil || st != info {
		t.Fatalf("stat: %+v %v", st, err)
	}

	// a PNG whose header claims 100000×100000 pixels is kept, without a thumbnail
	var bomb bytes.Buffer
	png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 1, 1)))
	raw := bomb.Bytes()
	copy(raw[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0}) // width and height in the IHDR chunk
	binary.BigEndian.PutUint32(raw[29:33], crc32.ChecksumIEEE(raw[12:29]))
	big, err := s.Put(bytes.NewReader(raw), images)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(big.Hash, true); !os.IsNotExist(err) {
		t.Fatalf("a thumbnail of a bomb: %v", err)
	}

	// over the limit, refused types, empty: nothing kept
	before := entries(t, s.Dir)
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{strings.Repeat("x", 1<<20+1), 413, "file_too_large"},
		{"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", 415, "file_type_refused"},
		{"<!DOCTYPE html><p>", 415, "file_type_refused"},
		{"", 400, "file_empty"},
	} {
		_, err := s.Put(strings.NewReader(c.body), images)
		if p := problem.As(err); p == nil || p.Status != c.status || p.Code != c.code {
			t.Fatalf("put %.20q: %v", c.body, err)
		}
	}
	if got := entries(t, s.Dir); len(got) != len(before) {
		t.Fatalf("refused uploads left %v", got)
	}
	if _, err := s.Open("../../etc/passwd", false); !os.IsNotExist(err) {
		t.Fatalf("open a path: %v", err)
	}
}

func TestLimits(t *testing.T) {
	l := files.Limits{Accept: []string{"image/", "application/pdf"}}
	for typ, want := range map[string]bool{"image/png": true, "application/pdf": true, "text/plain; charset=utf-8": false, "imagex/png": false} {
		if l.Allows(typ) != want {
			t.Errorf("Allows(%q) = %v", typ, !want)
		}
	}
	if l.String() != "image/*、application/pdf" || !(files.Limits{Accept: []string{"*"}}).Allows("text/html") {
		t.Errorf("String() = %q", l.String())
	}
	for n, want := range map[int64]string{20 << 20: "20 MB", 1536 << 10: "1.5 MB", 2048: "2 KB", 100: "100 B"} {
		if got := files.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

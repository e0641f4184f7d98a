package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngOf returns a w×h PNG.
func pngOf(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x*h/w, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// kept lists the files of the data directory's file store (thumbnails included).
func kept(t *testing.T, c *client) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(c.server().Records.Files.Dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, filepath.Base(path))
		}
		return nil
	})
	return out
}

func TestFiles(t *testing.T) {
	admin := setup(t)
	admin.createTable("合同", f("合同名称", "text"), f("附件", "file", "maxSize", 1000), f("图片", "image"),
		f("签名", "signature"), f("任意文件", "file", "accept", []string{"*"}))
	wangID, wang := admin.addMember("wang@example.com", "小王")
	files := tablePath("合同") + "/fields/"

	// an image: kept once however often uploaded, with its thumbnail
	pic := pngOf(t, 600, 300)
	ref := admin.upload(files+"图片/files", "现场照片.png", pic).must(t, 201)
	if ref["type"] != "image/png" || num(ref["size"]) != float64(len(pic)) || len(str(ref["hash"])) != 64 || ref["name"] != "现场照片.png" {
		t.Fatalf("upload answered %v", ref)
	}
	again := admin.upload(files+"图片/files", "again.png", pic).must(t, 201)
	if again["hash"] != ref["hash"] || len(kept(t, admin)) != 2 {
		t.Fatalf("the same image twice: %v, kept %v", again, kept(t, admin))
	}

	// over the limit, or of a refused type: 413 / 415 saying the limit, nothing kept
	before := kept(t, admin)
	admin.lang = "en"
	big := admin.upload(files+"附件/files", "big.txt", strings.Repeat("a", 1001)).wantError(t, 413, "file_too_large")
	if !strings.Contains(str(big["message"]), "at most 1000 B") {
		t.Fatalf("413 says %v", big)
	}
	html := admin.upload(files+"图片/files", "x.png", "<html><script>alert(1)</script></html>").wantError(t, 415, "file_type_refused")
	if !strings.Contains(str(html["message"]), "image/png") || !strings.Contains(str(html["message"]), "text/html") {
		t.Fatalf("415 says %v", html)
	}
	admin.lang = ""
	zh := admin.upload(files+"附件/files", "page.html", "<!DOCTYPE html><p>hi</p>").wantError(t, 415, "file_type_refused")
	if !strings.Contains(str(zh["message"]), "不接受") || !strings.Contains(str(zh["message"]), "application/pdf") {
		t.Fatalf("415 in Chinese says %v", zh)
	}
	admin.upload(files+"签名/files", "sig.txt", "not a picture").wantError(t, 415, "file_type_refused")
	if got := kept(t, admin); len(got) != len(before) {
		t.Fatalf("refused uploads left files: %v, before %v", got, before)
	}

	// a record holds the image: its JSON gives the file with its urls
	rec := admin.create("合同", map[string]any{"合同名称": "A-1", "图片": []any{map[string]any{"hash": ref["hash"], "name": "现场照片.png", "size": 1, "type": "text/html"}}})
	list := rec["图片"].([]any)
	got := list[0].(map[string]any)
	if num(got["size"]) != float64(len(pic)) || got["type"] != "image/png" || !strings.HasSuffix(str(got["thumb"]), "?thumb=1") {
		t.Fatalf("the record's image: %v (size and type are the kept file's, whatever was written)", got)
	}
	res := admin.get(str(got["url"]))
	if res.Status != 200 || res.Raw != pic || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("the image served: %d %v", res.Status, res.Header)
	}
	thumb := admin.get(str(got["thumb"]))
	cfg, err := png.DecodeConfig(strings.NewReader(thumb.Raw))
	if thumb.Status != 200 || err != nil || cfg.Width != 256 || cfg.Height != 128 {
		t.Fatalf("the thumbnail: %d %v %v", thumb.Status, cfg, err)
	}

	// 小王 cannot read 合同 A-1 (a member sees their own records): not its files either
	wang.get(recordPath("合同", num(rec["id"]))).wantError(t, 404, "not_found")
	wang.get(str(got["url"])).wantError(t, 404, "not_found")
	wang.get(str(got["thumb"])).wantError(t, 404, "not_found")
	// nor through a record of his own that does not hold it
	mine := wang.create("合同", map[string]any{"合同名称": "小王的"})
	other := strings.Split(str(got["url"]), "/")
	other[5] = fmt.Sprint(mine["id"])
	wang.get(strings.Join(other, "/")).wantError(t, 404, "not_found")
	// a file never uploaded cannot be written
	wang.patch(recordPath("合同", num(mine["id"])), map[string]any{"附件": []any{map[string]any{"hash": strings.Repeat("ab", 32), "name": "x.pdf"}}}).
		wantDetail(t, "file_unknown", "附件", 0, "")
	// once he may see it, he reads it
	moved := admin.patch(recordPath("合同", num(rec["id"])), map[string]any{"负责人": wangID}).must(t, 200)
	if res := wang.get(str(moved["图片"].([]any)[0].(map[string]any)["url"])); res.Status != 200 || res.Raw != pic {
		t.Fatalf("小王 reads the image of his record: %d", res.Status)
	}

	// with the field hidden from him, he neither reads its files nor uploads to it
	grants := admin.server().Users.Grants
	hideField(admin, "合同", "图片")
	wang.get(str(moved["图片"].([]any)[0].(map[string]any)["url"])).wantError(t, 404, "not_found")
	wang.upload(files+"图片/files", "x.png", pic).wantError(t, 403, "field_readonly")
	admin.server().Users.Grants = grants

	// any type where allowed, but HTML is never shown inline
	page := admin.upload(files+"任意文件/files", "page.html", "<!DOCTYPE html><script>alert(1)</script>").must(t, 201)
	rec2 := admin.create("合同", map[string]any{"合同名称": "A-2", "任意文件": []any{page}})
	served := admin.get(str(rec2["任意文件"].([]any)[0].(map[string]any)["url"]))
	if served.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(served.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("HTML served as %v", served.Header)
	}

	// the table's own API document types a file value as a list of files
	if doc := admin.get(tablePath("合同") + "/openapi.json").Raw; !strings.Contains(doc, "上传接口返回的 hash") {
		t.Fatalf("the table's document says nothing of files: %.300s", doc)
	}

	// the export lists each file's name and link
	csv := admin.get(tablePath("合同") + "/export?format=csv").Raw
	if !strings.Contains(csv, "现场照片.png http://") || !strings.Contains(csv, "/files/") {
		t.Fatalf("export: %s", csv)
	}
}

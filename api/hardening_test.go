package api_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"tierbase/engines/importer"
)

// Every answer — the UI, API answers, errors — refuses to be framed by another site.
func TestNoFraming(t *testing.T) {
	c := newClient(t, newServer(t))
	for _, path := range []string{"/", "/t/客户", "/api/health", "/api/setup", "/api/auth/me", "/api/no-such-route"} {
		r := c.get(path)
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s (%d): X-Frame-Options %q, want DENY", path, r.Status, got)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s (%d): Content-Security-Policy %q lacks frame-ancestors 'none'", path, r.Status, csp)
		}
	}
}

// Marking notices read names at most inbox.MaxReadIDs ids; "all" marks everything set-wise.
func TestMarkReadLimit(t *testing.T) {
	admin := setup(t)
	ids := make([]int, 1001)
	for i := range ids {
		ids[i] = i + 1
	}
	e := admin.post("/api/notifications/read", map[string]any{"ids": ids}).wantError(t, 400, "too_many_ids")
	if msg := str(e["message"]); !strings.Contains(msg, "1000") {
		t.Errorf("message %q does not name the limit", msg)
	}
	admin.post("/api/notifications/read", map[string]any{"ids": ids[:1000]}).must(t, 200)
	admin.post("/api/notifications/read", map[string]any{"all": true}).must(t, 200)
}

// fire sends n requests at once and returns the answers.
func fire(n int, send func(i int) reply) []reply {
	out := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// codeOf is an answer's error code, or its status for a success.
func codeOf(r reply) string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		return str(e["code"])
	}
	return fmt.Sprint(r.Status)
}

// Ten first-run setups at once: one admin, nine clear 409s.
func TestSetupConcurrent(t *testing.T) {
	base := newServer(t)
	got := map[string]int{}
	for _, r := range fire(10, func(i int) reply {
		c := newClient(t, base)
		return c.post("/api/setup", map[string]string{"email": fmt.Sprintf("admin%d@example.com", i), "password": adminPassword})
	}) {
		got[codeOf(r)]++
		if r.Status == 409 && !strings.Contains(str(r.Body["error"].(map[string]any)["message"]), "初始化") {
			t.Errorf("409 message %v", r.Body)
		}
	}
	if got["200"] != 1 || got["setup_done"] != 9 {
		t.Fatalf("10 setups at once: %v, want one 200 and nine setup_done", got)
	}
	if c := newClient(t, base); c.get("/api/setup").must(t, 200)["needsSetup"] != false {
		t.Error("setup still needed")
	}
}

// Forty wrong passwords for one account at once: at most five are checked (before, all forty
// were), the rest are 429 with Retry-After.
func TestWrongPasswordsAtOnce(t *testing.T) {
	admin := setup(t)
	got := map[string]int{}
	for _, r := range fire(40, func(i int) reply {
		return newClient(t, admin.base).post("/api/auth/login", map[string]string{"email": adminEmail, "password": fmt.Sprintf("guess-%d", i)})
	}) {
		got[codeOf(r)]++
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %v", r.Body)
		}
	}
	// On a slow machine (-race) some wait past HashWait and are busy instead of throttled;
	// core/users checks the exact five with a long wait.
	if got["bad_login"] < 1 || got["bad_login"] > 5 || got["bad_login"]+got["throttled"]+got["busy"] != 40 {
		t.Errorf("40 wrong passwords at once: %v, want at most 5 bad_login, the rest 429", got)
	}
}

// 150 logins at once, each for an account and from an address of its own (so that no
// throttle hides the bound; an unknown email costs the same hash as a known one): the password
// hashes in flight (19 MiB each) are bounded, so the heap stays far below 150 × 19 MiB; those
// not served within a short wait get 429 busy with Retry-After.
func TestLoginFloodBounded(t *testing.T) {
	admin := setup(t)
	var answers []reply
	grew := int64(peakHeap(func() {
		answers = fire(150, func(i int) reply {
			c := newClient(t, admin.base)
			dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(i+1))}}
			c.http.Transport = &http.Transport{DialContext: dialer.DialContext}
			return c.post("/api/auth/login", map[string]string{"email": fmt.Sprintf("nobody%d@example.com", i), "password": adminPassword})
		})
	}))
	got := map[string]int{}
	for _, r := range answers {
		got[codeOf(r)]++
		if r.Status == 429 && r.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %v", r.Body)
		}
	}
	if got["bad_login"] == 0 || got["bad_login"]+got["busy"] != 150 {
		t.Errorf("150 logins at once: %v, want bad_login (checked) and 429 busy only", got)
	}
	t.Logf("150 logins at once: %v; heap grew by %d MiB at most", got, grew>>20)
	if limit := int64(12 * 19 << 20); grew > limit {
		t.Errorf("heap grew by %d MiB during 150 logins, want under %d MiB (hashes in flight bounded)", grew>>20, limit>>20)
	}
}

// uploadStream posts a file streamed by write (so that tests can send files larger than they
// keep in memory), as the UI does.
func (c *client) uploadStream(path, name string, write func(w io.Writer)) reply {
	c.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", name)
		write(fw)
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", c.base+path, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	json.Unmarshal(raw, &r.Body)
	return r
}

// peakHeap runs fn and returns by how much the heap grew at most meanwhile (sampled).
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	}()
	fn()
	close(stop)
	<-sampled
	return max(peak, before.HeapAlloc) - before.HeapAlloc
}

// The probe's CSV upload: a header line of 48 million columns (96 MB). A clear 400 naming the
// row and Excel's limit; the server's heap hardly moves (before: 20 GB, killed by the kernel).
func TestUploadHugeHeaderCSV(t *testing.T) {
	admin := setup(t)
	var r reply
	grew := peakHeap(func() {
		r = admin.uploadStream("/api/imports", "宽.csv", func(w io.Writer) {
			chunk := []byte(strings.Repeat("a,", 32<<10))
			for written := 0; written < 96<<20; written += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			w.Write([]byte("\n1,2\n"))
		})
	})
	e := r.wantError(t, 400, "too_many_columns")
	if msg := str(e["message"]); !strings.Contains(msg, "第 1 行") || !strings.Contains(msg, "16384") {
		t.Errorf("message %q", msg)
	}
	t.Logf("%s; heap grew by %d MB at most", e["message"], grew>>20)
	if grew > 64<<20 {
		t.Errorf("heap grew by %d MB reading the 96 MB header", grew>>20)
	}

	// A file wider than a table can be is refused before any import, in the user's language.
	wide := strings.Repeat("列,", 2500) + "末\n" + strings.Repeat("1,", 2500) + "2\n"
	admin.lang = "en"
	e = admin.uploadStream("/api/imports", "wide.csv", func(w io.Writer) { io.WriteString(w, wide) }).wantError(t, 400, "file_too_wide")
	if msg := str(e["message"]); !strings.Contains(msg, "2501 columns") || !strings.Contains(msg, "1595 fields") { // PostgreSQL's 1,600 columns less the system ones, on both
		t.Errorf("message %q", msg)
	}
}

// xlsxBomb is an XLSX of under a megabyte whose shared strings inflate to 640 MB (more than
// the whole upload budget; the probe's inflated to 948 MB).
func xlsxBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, part := range []struct{ name, body string }{
		{"xl/workbook.xml", `<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row></sheetData></worksheet>`},
	} {
		w, _ := zw.Create(part.name)
		w.Write([]byte(part.body))
	}
	w, _ := zw.Create("xl/sharedStrings.xml")
	w.Write([]byte("<sst>"))
	item := []byte("<si><t>" + strings.Repeat("A", 16<<20-64) + "</t></si>")
	for i := 0; i < 40; i++ {
		w.Write(item)
	}
	w.Write([]byte("</sst>"))
	zw.Close()
	return buf.Bytes()
}

// The probe's XLSX uploads: three files of under a megabyte whose shared strings inflate to
// hundreds of megabytes each, sent at once. Each is refused with a 413 that says what to do, and the heap
// stays within the server's upload budget (before: 2.8 GB).
func TestUploadXLSXBombs(t *testing.T) {
	admin := setup(t)
	bomb := xlsxBomb(t)
	var answers []reply
	grew := peakHeap(func() {
		answers = fire(3, func(i int) reply {
			return admin.uploadStream("/api/imports", fmt.Sprintf("bomb%d.xlsx", i), func(w io.Writer) { w.Write(bomb) })
		})
	})
	for _, r := range answers {
		e := r.wantError(t, 413, "upload_memory")
		if msg := str(e["message"]); !strings.Contains(msg, "512 MB") || !strings.Contains(msg, "稍后再试") {
			t.Errorf("message %q", msg)
		}
	}
	t.Logf("%s; heap grew by %d MB at most", answers[0].Body["error"].(map[string]any)["message"], grew>>20)
	if grew > importer.DefaultUploadMemory {
		t.Errorf("heap grew by %d MB during three bomb uploads, more than the upload budget", grew>>20)
	}
}

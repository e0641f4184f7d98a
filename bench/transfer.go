package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// transfers measures import and export against the sqlite3 CLI's .import of the same file.
func transfers(bin string) {
	n := *importN
	csvPath := filepath.Join(*work, "customers.csv")
	writeCustomers(csvPath, n)
	label := fmt.Sprintf("%d-row customer CSV (10 columns)", n)

	// Reference: the sqlite3 command-line shell importing the same file into a new table;
	// each side three times, alternating, and the medians compared (single runs vary ±15 %
	// on this machine).
	ref := filepath.Join(*work, "ref.db")
	data := filepath.Join(*work, "transfer")
	var refRuns, runs []float64
	rss := 0
	for i := 0; i < 3; i++ {
		os.Remove(ref)
		start := time.Now()
		run("sqlite3", ref, ".import --csv "+csvPath+" t")
		refRuns = append(refRuns, time.Since(start).Seconds())
		os.RemoveAll(data)
		secs, r := timed(bin, "import", "--data", data, "--table", "客户导入", "--create", csvPath)
		runs = append(runs, secs)
		rss = max(rss, r)
	}
	refSecs, csvSecs := medianOf(refRuns), medianOf(runs)
	record("reference: `sqlite3 DB \".import --csv FILE t\"`", fmt.Sprintf("%.2f s (median of %s)", refSecs, secondsList(refRuns)), "", "reference")
	record("import "+label+" into a new table (`tierbase import --create`)", fmt.Sprintf("%.2f s (median of %s), peak RSS %d MB (%.2f× the reference)",
		csvSecs, secondsList(runs), rss, csvSecs/refSecs), "≤ 2.0× the reference, RSS ≤ 300 MB", "")

	secs, rss := timed(bin, "import", "--data", data, "--table", "客户导入", "--mode", "upsert", "--key", "客户编号", csvPath)
	record("upsert the same file by 客户编号 into the table holding it", fmt.Sprintf("%.2f s, peak RSS %d MB (%.2f× the CSV insert)", secs, rss, secs/csvSecs), "≤ 3× the CSV insert", "")

	out := filepath.Join(*work, "export.csv")
	secs, rss = timed(bin, "export", "--data", data, "--table", "客户导入", out)
	record(fmt.Sprintf("export %d rows to CSV", n), fmt.Sprintf("%.2f s, peak RSS %d MB", secs, rss), "≤ 5 s, RSS ≤ 300 MB", "")

	xlsx := filepath.Join(*work, "export.xlsx")
	secs, rss = timed(bin, "export", "--data", data, "--table", "客户导入", xlsx)
	record(fmt.Sprintf("export %d rows to XLSX", n), fmt.Sprintf("%.2f s, peak RSS %d MB", secs, rss), "≤ 30 s, RSS ≤ 300 MB", "")

	secs, rss = timed(bin, "import", "--data", data, "--table", "客户导入xlsx", "--create", xlsx)
	record(fmt.Sprintf("import the same %d rows as XLSX into a new table", n), fmt.Sprintf("%.2f s, peak RSS %d MB (%.2f× the CSV import)", secs, rss, secs/csvSecs), "≤ 4× the CSV import, RSS ≤ 400 MB", "")

	httpImport(bin, csvPath, n)
	gradedImport(bin, csvPath, n)
}

// gradedImport measures importing the customer CSV into the template's 客户 table, whose
// grading scheme and rules run in the import's transaction (客户等级 for every row, tier
// history, 高频客户 kept, follow-ups queued), against the same import into the same table with
// no scheme or rule: each three times, alternating, medians compared.
func gradedImport(bin, csvPath string, n int) {
	var graded, plain []float64
	var gradedRSS int
	for i := 0; i < 3; i++ {
		for _, withRules := range []bool{true, false} {
			data := filepath.Join(*work, "graded")
			os.RemoveAll(data)
			run(bin, "demo", "--data", data, "--customers", "0")
			run(bin, "user", "create", "--data", data, "--email", "bench@example.com", "--password", "bench-password", "--role", "admin")
			if !withRules {
				run("sqlite3", filepath.Join(data, "tierbase.db"), "DELETE FROM _schemes; DELETE FROM _rules;")
			}
			secs, rss := timed(bin, "import", "--data", data, "--table", "客户", csvPath)
			if withRules {
				graded, gradedRSS = append(graded, secs), max(gradedRSS, rss)
				out := run("sqlite3", filepath.Join(data, "tierbase.db"), "SELECT COUNT(*) FROM _tier_history")
				if strings.TrimSpace(out) != strconv.Itoa(n) {
					fatalf("graded import: %s tier history rows for %d customers", strings.TrimSpace(out), n)
				}
			} else {
				plain = append(plain, secs)
			}
		}
	}
	g, p := medianOf(graded), medianOf(plain)
	record(fmt.Sprintf("import the %d-row CSV into the template's graded 客户 table (scheme + rules in the import's transaction)", n),
		fmt.Sprintf("%.2f s (median of %s), peak RSS %d MB; ungraded: %.2f s (median of %s) → %.2f×", g, secondsList(graded), gradedRSS, p, secondsList(plain), g/p),
		"≤ 1.3× the same import into the table without scheme or rules", "")
}

// timed runs a tierbase command and returns its wall time and peak RSS.
func timed(bin string, args ...string) (float64, int) {
	start := time.Now()
	out := run("/usr/bin/time", append([]string{"-f", "maxrss_kb=%M", bin}, args...)...)
	secs := time.Since(start).Seconds()
	rss := 0
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "maxrss_kb="); ok {
			kb, _ := strconv.Atoi(v)
			rss = kb / 1024
		}
	}
	return secs, rss
}

// writeCustomers writes n customers like the seed's list: 客户编号, 客户名称, 联系电话, 客户来源,
// 所属行业, 地区, 首次购买日期, 最近消费日, 累计消费金额, 购买频率.
func writeCustomers(path string, n int) {
	f, err := os.Create(path)
	must(err)
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	sources := []string{"市场活动", "官网", "转介绍", "展会", "电话营销", "企业微信"}
	industries := []string{"互联网", "制造业", "零售", "金融", "教育", "医疗"}
	regions := []string{"广东", "江苏", "浙江", "山东", "上海", "北京", "四川", "湖北"}
	fmt.Fprintln(w, "客户编号,客户名称,联系电话,客户来源,所属行业,地区,首次购买日期,最近消费日,累计消费金额,购买频率")
	for i := 0; i < n; i++ {
		d1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(700))
		d2 := d1.AddDate(0, 0, r.IntN(180))
		fmt.Fprintf(w, "K%07d,客户%d有限公司,1%d%09d,%s,%s,%s,%s,%s,%d.%02d,%d\n", i, i, 3+r.IntN(7), r.IntN(1e9),
			sources[r.IntN(len(sources))], industries[r.IntN(len(industries))], regions[r.IntN(len(regions))],
			d1.Format("2006-01-02"), d2.Format("2006-01-02"), r.IntN(100000), r.IntN(100), r.IntN(30))
	}
	must(w.Flush())
	must(f.Close())
}

// httpImport uploads the CSV to a running server, starts the import into a new table and
// waits for it: the end-to-end rate a browser user sees.
func httpImport(bin, csvPath string, n int) {
	data := filepath.Join(*work, "http")
	run(bin, "user", "create", "--data", data, "--email", "bench@example.com", "--password", "bench-password", "--role", "admin")
	srv, base := serve(bin, data, *port+1) // stopped at the end, or by fatalf when the import fails
	defer stop(srv)
	token := login(base)

	start := time.Now()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", "customers.csv")
		f, _ := os.Open(csvPath)
		io.Copy(fw, f)
		f.Close()
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", base+"/api/imports", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	var up struct {
		ID      string
		Columns []map[string]any
	}
	doJSON(req, 201, &up)
	uploaded := time.Since(start).Seconds()
	body, _ := json.Marshal(map[string]any{"newTable": map[string]any{"name": "HTTP导入", "columns": up.Columns}})
	req, _ = http.NewRequest("POST", base+"/api/imports/"+up.ID+"/start", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	doJSON(req, 200, nil)
	for {
		var st struct {
			State  string
			Result struct{ Inserted int }
			Error  struct{ Code, Message string }
		}
		req, _ = http.NewRequest("GET", base+"/api/imports/"+up.ID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		doJSON(req, 200, &st)
		if st.State == "done" {
			if st.Result.Inserted != n {
				fatalf("HTTP import inserted %d of %d", st.Result.Inserted, n)
			}
			break
		}
		if st.State == "failed" {
			fatalf("HTTP import failed: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	secs := time.Since(start).Seconds()
	record(fmt.Sprintf("HTTP import of the %d-row CSV: upload + preview + import, end to end", n),
		fmt.Sprintf("%.0f rows/s (%.1f s, of which upload and preview %.1f s)", float64(n)/secs, secs, uploaded),
		"≥ 100,000 rows/s", "PocketBase batch API 4,100–4,800 rows/s; NocoDB 1,780–1,850")
}

func doJSON(req *http.Request, status int, v any) {
	res, err := http.DefaultClient.Do(req)
	must(err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		fatalf("%s %s: %d %s", req.Method, req.URL, res.StatusCode, b)
	}
	if v != nil {
		must(json.Unmarshal(b, v))
	}
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func secondsList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ") + " s"
}

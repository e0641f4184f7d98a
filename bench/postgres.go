package main

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tierbase/platform/store"
)

// postgres measures issue 13's figures on PostgreSQL: a server of the bench's own on this
// machine (scripts/pgtest), tierbase on it, and psql's references in the same run. The
// figures' names start with "PostgreSQL: ".
func postgres(bin string) {
	server := startPostgres()
	defer cleanUp() // the servers, then PostgreSQL
	prefix = "PostgreSQL: "
	defer func() { prefix = "" }()
	// TIERBASE_DB names the database of every command below (import names its own with --db).
	db := database(server, "tierbase")
	must(os.Setenv(store.URLEnv, db))
	defer os.Unsetenv(store.URLEnv)

	pgImport(bin, server)

	// Demo data, as for SQLite.
	psqlShell(server).run("CREATE DATABASE tierbase")
	data := filepath.Join(*work, "pg-data")
	run("sync")
	secs, rss := timed(bin, "demo", "--data", data, "--customers", strconv.Itoa(*customers), "--seed", "1")
	record(fmt.Sprintf("`tierbase demo --customers %d`", *customers), fmt.Sprintf("%.1f s (peak RSS %d MB)", secs, rss), "", "")
	run(bin, "user", "create", "--data", data, "--email", "bench@example.com", "--password", "bench-password", "--role", "admin")

	// One node: the list page and the POSTs, as for SQLite.
	started := time.Now()
	one, base := serve(bin, data, *port+2)
	token := login(base)
	firstRFM(base, token, started)
	listFigures(base, token)
	createTable(base, token)
	posted, rate := postRecords(token, base)
	if pocketbaseRate > 0 {
		posted += fmt.Sprintf(" = %.2f× PocketBase's", rate/pocketbaseRate)
	} else {
		posted += " (PocketBase did not run: no --peers)"
	}
	record(fmt.Sprintf("single-record POST, c=%d, auth on, %d records, one node", *conc, *posts), posted, "≥ PocketBase in the same run", "")
	record("server RSS after the above", fmt.Sprintf("%d MB", rssMB(one.Process.Pid)), "", "")

	// Two nodes on the one database, the clients split between them. They share the data
	// directory (the keys of the 敏感 fields), as nodes of one machine would; load stops the
	// bench when a request failed, so a figure here means none did.
	two, base2 := serve(bin, data, *port+3)
	posted, _ = postRecords(token, base, base2)
	record(fmt.Sprintf("the same POSTs to two nodes on the one database (c=%d split between them)", *conc), posted+", none failed", "report; no errors", "")
	stop(two)

	sh := psqlShell(db)
	grading(sh, base, token)
	dashboards(sh, base, token)
	stop(one)
}

// startPostgres starts a PostgreSQL server of the bench's own with scripts/pgtest and returns
// its address; atExit stops it. Its state file is the bench's own, so a colleague's test
// server is left alone, and lies beside the scratch directory, which each run empties: a
// server a failed run left behind is stopped first.
func startPostgres() string {
	must(os.Setenv("TIERBASE_PGTEST_STATE", *work+".pgtest.state"))
	run("scripts/pgtest", "stop")
	out := run("scripts/pgtest", "start")
	onExit(func() {
		cmd := exec.Command("scripts/pgtest", "stop")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.Run()
	})
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "export "+store.TestServerEnv+"="); ok {
			return strings.Trim(v, "'")
		}
	}
	fatalf("scripts/pgtest start printed no address:\n%s", out)
	return ""
}

// database returns the address of the database name on the server at server.
func database(server, name string) string {
	u, err := url.Parse(server)
	must(err)
	u.Path = "/" + name
	return u.String()
}

// serve starts `tierbase serve` on the data directory (on the database TIERBASE_DB names) at
// port, with the flags of args, and waits until it answers; atExit kills it if the bench fails
// before stop does.
func serve(bin, data string, port int, args ...string) (*exec.Cmd, string) {
	srv := exec.Command(bin, append([]string{"serve", "--data", data, "--http", fmt.Sprintf("127.0.0.1:%d", port)}, args...)...)
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	must(srv.Start())
	onExit(func() { stop(srv) })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitUp(base)
	return srv, base
}

func stop(srv *exec.Cmd) {
	if srv.ProcessState == nil {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}
}

// pgImport measures `tierbase import --create` of the customer CSV into a new PostgreSQL
// database against psql's \copy of the same file into a new plain table (ten text columns,
// no index, no constraint), as transfers does against sqlite3's .import: each three times,
// alternating, and the medians compared.
func pgImport(bin, server string) {
	n := *importN
	csvPath := filepath.Join(*work, "customers.csv")
	writeCustomers(csvPath, n)
	sh := psqlShell(server)
	var cols []string
	for i := range 10 {
		cols = append(cols, fmt.Sprintf("c%d text", i+1))
	}
	create := "CREATE TABLE copied (" + strings.Join(cols, ", ") + ")"
	copyFile := `\copy copied FROM '` + csvPath + `' WITH (FORMAT csv, HEADER true)`
	imported := database(server, "imported")
	data := filepath.Join(*work, "pg-import")
	var refRuns, runs []float64
	rss := 0
	for range 3 {
		sh.run("DROP TABLE IF EXISTS copied")
		start := time.Now()
		sh.run(create, copyFile) // one psql, as one sqlite3 .import: the table made, the file copied
		refRuns = append(refRuns, time.Since(start).Seconds())

		sh.run("DROP DATABASE IF EXISTS imported")
		sh.run("CREATE DATABASE imported")
		must(os.RemoveAll(data))
		secs, r := timed(bin, "import", "--db", imported, "--data", data, "--table", "客户导入", "--create", csvPath)
		runs = append(runs, secs)
		rss = max(rss, r)
	}
	if got := strings.TrimSpace(psqlShell(imported).run(`SELECT COUNT(*) FROM "` + importedTable(imported) + `"`)); got != strconv.Itoa(n) {
		fatalf("tierbase import put %s rows of %d into PostgreSQL", got, n)
	}
	sh.run("DROP TABLE copied")
	sh.run("DROP DATABASE imported")
	refSecs, secs := medianOf(refRuns), medianOf(runs)
	record("reference: `psql -c '\\copy t FROM FILE (FORMAT csv, HEADER)'` into a new plain table", fmt.Sprintf("%.2f s (median of %s)", refSecs, secondsList(refRuns)), "", "reference")
	record(fmt.Sprintf("import %d-row customer CSV (10 columns) into a new table (`tierbase import --create`)", n),
		fmt.Sprintf("%.2f s (median of %s), peak RSS %d MB (%.2f× the reference)", secs, secondsList(runs), rss, secs/refSecs), "≤ 1.5× the reference, RSS ≤ 300 MB", "")
}

// importedTable returns the SQL name of the table 客户导入 in the database at db.
func importedTable(db string) string {
	return "t_" + strings.TrimSpace(psqlShell(db).run("SELECT id FROM _tables WHERE name = '客户导入'"))
}

package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"tierbase/core/schema"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/users"
	"tierbase/engines/exporter"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
)

// parseWithFile parses flags that may come before or after the one file argument.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		return "", fmt.Errorf("give exactly one file (got %d); see tierbase %s --help", len(files), fs.Name())
	}
	return files[0], nil
}

func importCmd(args []string, stdout, stderr io.Writer) error {
	fs := flags("import", "Import a CSV or XLSX file into a table: FILE.csv|FILE.xlsx. All rows or none, unless --skip-invalid.", stderr)
	data := dataFlag(fs)
	table := fs.String("table", "", "table name (required); with --create, the name of the new table")
	sheet := fs.String("sheet", "", "XLSX sheet name or number (default: the first with data)")
	create := fs.Bool("create", false, "create the table with field types inferred from the file")
	key := fs.String("key", "", "field that identifies a record, for --mode upsert (e.g. 客户编号)")
	mode := fs.String("mode", "insert", "insert, or upsert: update records whose key matches, insert the rest")
	skip := fs.Bool("skip-invalid", false, "import the valid rows and report the rest (default: import nothing if any row is invalid)")
	report := fs.String("report", "", "where to write the error report (default: FILE-错误报告.xlsx next to FILE)")
	ownerFlag := fs.String("owner", "", "email of the user who imports: 创建人 and, unless the file has a 负责人 column, 负责人 of the new records (default: the only admin)")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if err := required("table", *table); err != nil {
		return err
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	owner, err := importOwner(a.Users.List(), *ownerFlag)
	if err != nil {
		return err
	}
	// Inserting makes short-lived garbage by the million while SQLite's cache dominates the
	// memory: collecting less often is ~10% faster for a few MB more. (Not for upsert, whose
	// map of the table's keys would grow five-fold with it.)
	if importer.Mode(*mode) != importer.Upsert {
		debug.SetGCPercent(400)
	}
	restore, err := a.DB.BulkMode(ctx(), 160)
	if err != nil {
		return err
	}
	defer restore()
	opt := spreadsheet.Options{Sheet: *sheet}
	var t *schema.Table
	if *create {
		if _, err := a.Catalog.Table(*table); err == nil {
			return fmt.Errorf("table %q already exists; drop --create to import into it", *table)
		}
		src, err := spreadsheet.Open(file, opt)
		if err != nil {
			return err
		}
		cols, err := importer.Sample(src, importer.InferRows)
		src.Close()
		if err != nil {
			return err
		}
		if t, err = a.Catalog.Draft(ctx(), "", *table, importer.Fields(cols)); err != nil {
			return err
		}
		for _, c := range cols {
			fmt.Fprintf(stdout, "  %s: %s\n", c.Name, c.Type.Label("zh"))
		}
	} else if t, err = a.Catalog.Table(*table); err != nil {
		return err
	}
	src, err := spreadsheet.Open(file, opt)
	if err != nil {
		return err
	}
	defer src.Close()
	rows := estimateRows(file)
	cols := importer.Suggest(src.Header(), t)
	for i, h := range src.Header() {
		if cols[i] == "" {
			fmt.Fprintf(stderr, "column %q matches no field of %s and is skipped\n", h, t.Name)
		}
	}
	bar := newProgress(stderr, "导入 import")
	res, err := a.Importer.Run(ctx(), access.System, t, src, importer.Plan{Columns: cols, Mode: importer.Mode(*mode), Key: *key,
		SkipInvalid: *skip, FileName: filepath.Base(file), CreateTable: *create, Owner: owner.ID}, func(n int) { bar.update(n, max(rows, n)) })
	bar.done()
	if res != nil {
		fmt.Fprintf(stdout, "rows read %d, inserted %d, updated %d, unchanged %d, rejected %d (%.1fs)\n",
			res.Read, res.Inserted, res.Updated, res.Unchanged, res.Rejected, res.Elapsed.Seconds())
		if res.Rejected > 0 {
			for i, p := range res.Problems {
				if i == 20 {
					fmt.Fprintf(stderr, "… and more\n")
					break
				}
				fmt.Fprintf(stderr, "  %s\n", p.Err.Message("zh"))
			}
			path := *report
			if path == "" {
				path = strings.TrimSuffix(file, filepath.Ext(file)) + "-错误报告.xlsx"
			}
			if werr := writeReport(path, res); werr != nil {
				return werr
			}
			fmt.Fprintf(stdout, "error report: %s\n", path)
		}
	}
	return err
}

// importOwner is the user a CLI import is made by: the one --owner names, else the only
// admin. With no users at all the records get no owner (admins see every record).
func importOwner(list []users.User, email string) (users.User, error) {
	var admins []string
	var only users.User
	for _, u := range list {
		if email != "" && strings.EqualFold(u.Email, email) {
			return u, nil
		}
		if u.Role == access.RoleAdmin {
			admins, only = append(admins, u.Email), u
		}
	}
	switch {
	case email != "":
		return users.User{}, problem.Invalid("import_owner_unknown", "email", email)
	case len(admins) == 1 || len(list) == 0:
		return only, nil
	}
	if len(admins) == 0 {
		admins = []string{"—"}
	}
	return users.User{}, problem.Invalid("import_owner_needed", "admins", strings.Join(admins, ", "))
}

func init() {
	problem.AddMessage("import_owner_unknown", "没有邮箱为「{email}」的成员（--owner）：请检查邮箱，或先用 tierbase user create 创建该成员",
		"no user has the email \"{email}\" (--owner): check it, or create the user first with tierbase user create")
	problem.AddMessage("import_owner_needed", "请用 --owner 邮箱 说明由谁导入：该成员将成为新记录的创建人和负责人（管理员：{admins}）",
		"say who imports with --owner EMAIL: that user becomes 创建人 and 负责人 of the new records (admins: {admins})")
}

func writeReport(path string, res *importer.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := importer.WriteReport(f, res, strings.TrimPrefix(filepath.Ext(path), "."), "zh"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// estimateRows counts the lines of a CSV file (fast, for the progress bar); 0 for others.
func estimateRows(path string) int {
	if !strings.EqualFold(filepath.Ext(path), ".csv") {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err != nil {
			return max(n-1, 0)
		}
	}
}

func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flags("export", "Export a table's records to OUT.csv or OUT.xlsx.", stderr)
	data := dataFlag(fs)
	table := fs.String("table", "", "table name (required)")
	filter := fs.String("filter", "", `condition JSON, e.g. {"field":"客户等级","op":"eq","value":"高价值客户"}`)
	sort := fs.String("sort", "", "sort, e.g. -累计消费金额")
	out, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	if err := required("table", *table); err != nil {
		return err
	}
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(out), "."))
	if format != "csv" && format != "xlsx" {
		return fmt.Errorf("the output file must end in .csv or .xlsx, got %q", out)
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.Catalog.Table(*table)
	if err != nil {
		return err
	}
	var where *cond.Node
	if *filter != "" {
		if where, err = cond.Parse([]byte(*filter)); err == nil {
			err = cond.Check(where, t)
		}
		if err != nil {
			return err
		}
	}
	total, err := a.Records.Count(ctx(), access.System, t, where)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	start := time.Now()
	bar := newProgress(stderr, "导出 export")
	n, err := exporter.Write(ctx(), a.Records, access.System, t, exporter.Query{Filter: where, Sort: *sort}, bw, format, func(n int) { bar.update(n, int(total)) })
	bar.done()
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		return err
	}
	fmt.Fprintf(stdout, "exported %d records to %s (%.1fs)\n", n, out, time.Since(start).Seconds())
	return nil
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"tierbase/app/migrate"
	"tierbase/platform/store"
)

// migrateCmd runs `tierbase migrate --to postgres://…`: every row of the data directory's
// SQLite database copied into an empty PostgreSQL database in one transaction, the row
// counts of every table checked before it commits. The data directory keeps the keys and
// uploads, and serves PostgreSQL afterwards with --db.
func migrateCmd(args []string, stdout, stderr io.Writer) error {
	fs := flags("migrate", "Copy the SQLite database of --data into an empty PostgreSQL database: tierbase migrate --to postgres://user:password@host:5432/name. Stop the server first. All or nothing; the SQLite file stays as it is.", stderr)
	data := fs.String("data", "./tb_data", "data directory whose SQLite database is copied (it keeps the keys and uploads for PostgreSQL too)")
	to := fs.String("to", "", "the empty PostgreSQL database to copy into (required)")
	sessions := fs.Bool("sessions", false, "copy the signed-in sessions too (default: everyone signs in again)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("to", *to); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*data, store.FileName)); err != nil {
		return fmt.Errorf("no SQLite database in %s to copy (choose the data directory with --data)", *data)
	}
	src, err := store.OpenSQLite(*data)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.OpenURL(*data, *to)
	if err != nil {
		return err
	}
	defer dst.Close()
	if dst.Dialect != store.Postgres {
		return errors.New("--to must name a PostgreSQL database (postgres://user:password@host:5432/name)")
	}
	fmt.Fprintf(stdout, "Copying %s into %s\n", src.Where(), dst.Where())
	start := time.Now()
	var bar *progress
	var current string
	counts, err := migrate.Run(ctx(), src, dst, migrate.Options{Sessions: *sessions, Progress: func(name string, done, total int64) {
		if name != current {
			if bar != nil {
				bar.done()
			}
			bar, current = newProgress(stderr, name), name
		}
		bar.update(int(done), int(total))
	}})
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return err
	}
	var rows int64
	fmt.Fprintln(stdout, "Rows per table (SQLite → PostgreSQL):")
	for _, c := range counts {
		fmt.Fprintf(stdout, "  %-24s %10d → %d\n", c.Name, c.Source, c.Target)
		rows += c.Target
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "Copied %d rows of %d tables in %.1fs (%.0f rows/s); every count matches.\n", rows, len(counts), secs, float64(rows)/max(secs, 0.001))
	fmt.Fprintf(stdout, "Serve it with: tierbase serve --data %s --db %s\n", *data, dst.URL)
	return nil
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// bucketLabel is the label of the date bucket of a local time, computed in Go.
func bucketLabel(t time.Time, bucket string) string {
	switch bucket {
	case "day":
		return t.Format("2006-01-02")
	case "week":
		return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)).Format("2006-01-02")
	case "month":
		return t.Format("2006-01")
	case "quarter":
		return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3)
	case "year":
		return t.Format("2006")
	}
	return ""
}

var buckets = []string{"day", "week", "month", "quarter", "year"}

// bucketsOf runs DateBucket on column col of table b for each bucket and zone, and returns
// the labels by row id, bucket and zone.
func bucketsOf(t *testing.T, db *DB, col string, zones []*Zone) map[int64][]sql.NullString {
	t.Helper()
	q := "SELECT id"
	for _, z := range zones {
		for _, b := range buckets {
			q += ", " + db.Dialect.DateBucket(col, b, z)
		}
	}
	rows, err := db.R.Query(q + " FROM b ORDER BY id")
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	out := map[int64][]sql.NullString{}
	for rows.Next() {
		var id int64
		labels := make([]sql.NullString, len(zones)*len(buckets))
		dst := []any{&id}
		for i := range labels {
			dst = append(dst, &labels[i])
		}
		if err := rows.Scan(dst...); err != nil {
			t.Fatal(err)
		}
		out[id] = labels
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Date buckets of UTC date-times in a zone, and of plain dates, label as Go does: on
// PostgreSQL with each date's own offset (daylight saving in New York), on SQLite with the
// offset of the day the zone was taken. A fixed zone whose name is another zone's (EST)
// keeps its own offset.
func TestDateBucketsAsGo(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	newYork, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, shanghai) // New York is on EST (UTC-5) then
	fakeEST := time.FixedZone("EST", 8*3600)
	locs := []*time.Location{shanghai, newYork, time.FixedZone("CST", 8*3600), fakeEST, time.UTC}
	var zones []*Zone
	for _, l := range locs {
		z := ZoneOf(l, now)
		zones = append(zones, &z)
	}
	// What each zone's labels follow: the zone itself, or on SQLite its offset at now.
	want := func(i int) *time.Location {
		if db.Dialect == Postgres {
			return locs[i]
		}
		_, off := now.In(locs[i]).Zone()
		return time.FixedZone("", off)
	}

	var instants []time.Time
	for t := time.Date(2025, 12, 28, 0, 0, 0, 0, time.UTC); t.Before(time.Date(2027, 1, 3, 0, 0, 0, 0, time.UTC)); t = t.Add(7*time.Hour + 13*time.Minute) {
		instants = append(instants, t)
	}
	instants = append(instants, // around New York's changes, and a Shanghai midnight at a quarter's turn
		time.Date(2026, 3, 8, 4, 30, 0, 0, time.UTC), time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC), time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC),
		time.Date(2026, 6, 30, 15, 59, 59, 0, time.UTC), time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC))
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec("CREATE TABLE b(id INTEGER PRIMARY KEY, at TEXT, day TEXT)"); err != nil {
			return err
		}
		for i, at := range instants {
			if _, err := tx.Exec("INSERT INTO b(id, at, day) VALUES(?, ?, ?)", i+1, at.Format(time.RFC3339), at.Format("2006-01-02")); err != nil {
				return err
			}
		}
		_, err := tx.Exec("INSERT INTO b(id, at, day) VALUES(?, NULL, NULL)", len(instants)+1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	got := bucketsOf(t, db, "at", zones)
	dates := bucketsOf(t, db, "day", []*Zone{nil})
	for i, at := range instants {
		for zi := range zones {
			local := at.In(want(zi))
			for bi, b := range buckets {
				if g, w := got[int64(i+1)][zi*len(buckets)+bi], bucketLabel(local, b); g.String != w {
					t.Errorf("%s of %s in %s: %q, want %q", b, at.Format(time.RFC3339), locs[zi], g.String, w)
				}
			}
		}
		for bi, b := range buckets {
			if g, w := dates[int64(i+1)][bi], bucketLabel(at, b); g.String != w {
				t.Errorf("%s of the date %s: %q, want %q", b, at.Format("2006-01-02"), g.String, w)
			}
		}
	}
	for _, l := range append(got[int64(len(instants)+1)], dates[int64(len(instants)+1)]...) {
		if l.Valid {
			t.Errorf("the bucket of NULL is %q", l.String)
		}
	}
}

// Only a checked zone name reaches SQL; any other zone goes by its offset.
func TestZoneNames(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{time.FixedZone("CST", 8*3600), "INTERVAL '+08:00'"},
		{time.FixedZone("EST", 8*3600), "INTERVAL '+08:00'"}, // not America's EST
		{time.FixedZone("x'; DROP TABLE _users; --", -(5*3600 + 1800)), "INTERVAL '-05:30'"},
		{time.UTC, "'UTC'"},
	} {
		if got := ZoneOf(tc.loc, now).pgZone(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.loc, got, tc.want)
		}
	}
	if sh, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		if got := ZoneOf(sh, now).pgZone(); got != "'Asia/Shanghai'" {
			t.Errorf("Asia/Shanghai: %s", got)
		}
	}
}

// Province is the part of a region path before the first "/"; Total of nothing is 0.
func TestProvinceAndTotal(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Tx(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec("CREATE TABLE r(id INTEGER PRIMARY KEY, path TEXT, n " + db.Dialect.NumberType() + ")"); err != nil {
			return err
		}
		for i, p := range []any{"浙江", "浙江/杭州", "浙江/杭州/西湖区", "浙江省", "", "/x", nil} {
			if _, err := tx.Exec("INSERT INTO r(id, path) VALUES(?, ?)", i+1, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.R.Query("SELECT " + db.Dialect.Province("path") + " FROM r ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for rows.Next() {
		var p sql.NullString
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		if p.Valid {
			got = append(got, p.String)
		} else {
			got = append(got, nil)
		}
	}
	rows.Close()
	if want := []any{"浙江", "浙江", "浙江", "浙江省", "", "", nil}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("provinces %q, want %q", got, want)
	}
	var total float64
	if err := db.R.QueryRow("SELECT " + db.Dialect.Total("n") + " FROM r").Scan(&total); err != nil || total != 0 {
		t.Errorf("total of NULLs: %v, %v", total, err)
	}
}

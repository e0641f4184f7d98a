package store

// The Dialect methods of charts (engines/reports): date buckets in the users' time zone,
// provinces of region paths, sums.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Zone is the users' time zone as date buckets read it. SQLite has no zone database: it
// shifts by the zone's offset at the time the Zone was taken (right for zones without
// daylight saving, such as China's). PostgreSQL converts with the zone's IANA name, so each
// date-time gets the offset of its own date; without a name PostgreSQL falls back to the
// offset too.
type Zone struct {
	offset int    // seconds east of UTC, at the time the Zone was taken
	name   string // an IANA name PostgreSQL knows ("Asia/Shanghai"), checked; "" for none
}

// ZoneOf is loc as the date buckets read it at now. loc's name is used only when Go's zone
// database has a zone of that name with loc's offsets (a fixed zone named "CST" is China's,
// not America's Central Standard Time); time.Local is named by $TZ or /etc/localtime.
func ZoneOf(loc *time.Location, now time.Time) Zone {
	_, off := now.In(loc).Zone()
	z := Zone{offset: off}
	name := loc.String()
	if loc == time.Local {
		name = localZoneName()
	}
	if !zoneName(name) {
		return z
	}
	named, err := time.LoadLocation(name)
	if err != nil {
		return z
	}
	for _, t := range []time.Time{now, time.Date(now.Year(), 1, 1, 12, 0, 0, 0, time.UTC), time.Date(now.Year(), 7, 1, 12, 0, 0, 0, time.UTC)} {
		_, a := t.In(loc).Zone()
		_, b := t.In(named).Zone()
		if a != b {
			return z
		}
	}
	z.name = name
	return z
}

// zoneName reports whether name looks like an IANA zone name (Asia/Shanghai, UTC,
// America/Port-au-Prince, Etc/GMT+8): only such names are ever put into SQL.
func zoneName(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+-", r)) {
			return false
		}
	}
	return true
}

// localZoneName is the IANA name of the machine's zone ($TZ, else the target of
// /etc/localtime), or "".
func localZoneName() string {
	if tz, ok := os.LookupEnv("TZ"); ok {
		return strings.TrimPrefix(tz, ":")
	}
	target, err := filepath.EvalSymlinks("/etc/localtime")
	if err != nil {
		return ""
	}
	if _, after, ok := strings.Cut(target, "zoneinfo/"); ok {
		return after
	}
	return ""
}

// pgZone is the zone as the operand of PostgreSQL's AT TIME ZONE: the quoted name, or an
// interval (ISO sign: east of UTC is positive, unlike POSIX strings such as '+08').
func (z Zone) pgZone() string {
	if z.name != "" {
		return "'" + z.name + "'" // zoneName allows no quote
	}
	sign, off := "+", z.offset
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("INTERVAL '%s%02d:%02d'", sign, off/3600, off%3600/60)
}

// DateBucket is the text label of the date bucket of column col: bucket is "day"
// (2026-11-23), "week" (its Monday, 2026-11-23), "month" (2026-11), "quarter" (2026-Q4) or
// "year" (2026); NULL stays NULL. With zone, col holds UTC date-times (RFC 3339 text) and the
// bucket is that of the local time in zone; without (nil), col holds dates (2006-01-02 text)
// bucketed as they are. Both databases give the same labels:
//
//	SQLite:     strftime('%Y-%m', datetime(col, '+480 minutes'))        date(col, '-6 days', 'weekday 1')
//	PostgreSQL: to_char(CAST(col AS timestamptz) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
//	            to_char(date_trunc('week', CAST(col AS timestamp)), 'YYYY-MM-DD')
func (d Dialect) DateBucket(col, bucket string, zone *Zone) string {
	if d == Postgres {
		x := "CAST(" + col + " AS timestamp)"
		if zone != nil {
			x = "(CAST(" + col + " AS timestamptz) AT TIME ZONE " + zone.pgZone() + ")"
		}
		switch bucket {
		case "day":
			return "to_char(" + x + ", 'YYYY-MM-DD')"
		case "week":
			return "to_char(date_trunc('week', " + x + "), 'YYYY-MM-DD')"
		case "month":
			return "to_char(" + x + ", 'YYYY-MM')"
		case "quarter":
			return "to_char(" + x + `, 'YYYY-"Q"Q')`
		case "year":
			return "to_char(" + x + ", 'YYYY')"
		}
		return col
	}
	z := col
	if zone != nil {
		z = fmt.Sprintf("datetime(%s, '%+d minutes')", col, zone.offset/60)
	}
	switch bucket {
	case "day":
		return "date(" + z + ")"
	case "week":
		return "date(" + z + ", '-6 days', 'weekday 1')"
	case "month":
		return "strftime('%Y-%m', " + z + ")"
	case "quarter":
		return fmt.Sprintf("(strftime('%%Y', %s) || '-Q' || ((CAST(strftime('%%m', %s) AS INTEGER) + 2) / 3))", z, z)
	case "year":
		return "strftime('%Y', " + z + ")"
	}
	return col
}

// Province is the first part of the region path in col (浙江 of 浙江/杭州/西湖区; a path
// without "/" is itself; NULL stays NULL):
//
//	SQLite:     CASE WHEN instr(col, '/') > 0 THEN substr(col, 1, instr(col, '/') - 1) ELSE col END
//	PostgreSQL: split_part(col, '/', 1)
func (d Dialect) Province(col string) string {
	if d == Postgres {
		return "split_part(" + col + ", '/', 1)"
	}
	return fmt.Sprintf("CASE WHEN instr(%s, '/') > 0 THEN substr(%s, 1, instr(%s, '/') - 1) ELSE %s END", col, col, col, col)
}

// City is the first two parts of the path in col (广东省/深圳市 of 广东省/深圳市/南山区/…;
// a path of one part is itself; NULL stays NULL).
func (d Dialect) City(col string) string {
	if d == Postgres {
		return "rtrim(split_part(" + col + ", '/', 1) || '/' || split_part(" + col + ", '/', 2), '/')"
	}
	rest := fmt.Sprintf("substr(%s, instr(%s, '/') + 1)", col, col)
	return fmt.Sprintf("CASE WHEN instr(%s, '/') = 0 THEN %s WHEN instr(%s, '/') = 0 THEN %s ELSE substr(%s, 1, instr(%s, '/') + instr(%s, '/') - 1) END",
		col, col, rest, col, col, col, rest)
}

// Total is the sum of x over a group, 0 (not NULL) when every x is NULL: SQLite's TOTAL(x)
// (a float), COALESCE(SUM(x), 0) on PostgreSQL (NUMERIC for numbers and integers alike,
// which the driver gives as text: parse it).
func (d Dialect) Total(x string) string {
	if d == Postgres {
		return "COALESCE(SUM(" + x + "), 0)"
	}
	return "TOTAL(" + x + ")"
}

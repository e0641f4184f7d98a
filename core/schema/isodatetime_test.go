package schema

import (
	"strconv"
	"testing"
	"time"
)

// FuzzISODateTime: the quick reading of "2026-11-23 14:30:05" gives what the regular
// expression it stands in front of gives, and refuses nothing that expression would accept.
func FuzzISODateTime(f *testing.F) {
	for _, s := range []string{"2026-11-23 14:30:05", "2024-02-29 23:59:59", "2025-02-29 10:00:00", "2026-11-23 24:00:00",
		"0999-11-23 14:30:05", "2026-1-23 14:30:05", "2026-11-23T14:30:05", "2026-11-23 14:30:5x"} {
		f.Add(s)
	}
	loc := time.FixedZone("CST", 8*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := isoDateTime(s, loc)
		var want time.Time
		wantOK := false
		if m := dateTimeRe.FindStringSubmatch(s); m != nil {
			d, dok := ymd(m[1], m[2], m[3])
			h, _ := strconv.Atoi(m[4])
			mi, _ := strconv.Atoi(m[5])
			sec, _ := strconv.Atoi(m[6])
			if dok && h <= 23 && mi <= 59 && sec <= 59 {
				want, wantOK = time.Date(d.Year(), d.Month(), d.Day(), h, mi, sec, 0, loc), true
			}
		}
		if ok && (!wantOK || !got.Equal(want)) {
			t.Fatalf("isoDateTime(%q) = %v, the expression gives %v %v", s, got, want, wantOK)
		}
		if !ok && wantOK && s == want.Format("2006-01-02 15:04:05") {
			t.Fatalf("isoDateTime(%q) refused what the expression reads as %v", s, want)
		}
	})
}

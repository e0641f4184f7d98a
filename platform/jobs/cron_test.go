package jobs_test

import (
	"testing"
	"time"

	"tierbase/platform/jobs"
)

func TestCron(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	from := time.Date(2026, 11, 23, 10, 30, 0, 0, cst) // a Monday
	cases := map[string]string{
		"0 9 * * *":        "2026-11-24 09:00",
		"*/15 * * * *":     "2026-11-23 10:45",
		"0 9 * * 1-5":      "2026-11-24 09:00",
		"30 8 * * 0":       "2026-11-29 08:30",
		"30 8 * * 7":       "2026-11-29 08:30",
		"0 0 1 * *":        "2026-12-01 00:00",
		"0 12 29 2 *":      "2028-02-29 12:00",
		"5,10 10-11 * * *": "2026-11-23 11:05",
		"0 9 15 * 5":       "2026-11-27 09:00", // the 15th or a Friday
	}
	for spec, want := range cases {
		c, err := jobs.ParseCron(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if got := c.Next(from).Format("2006-01-02 15:04"); got != want {
			t.Errorf("%s: next %s, want %s", spec, got, want)
		}
	}
	c, _ := jobs.ParseCron("0 0 30 2 *")
	if !c.Next(from).IsZero() {
		t.Error("30 February never comes")
	}
	for _, bad := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
		"*/0 * * * *", "a * * * *", "5-1 * * * *", "1-x * * * *", "* * * * * *"} {
		if _, err := jobs.ParseCron(bad); err == nil {
			t.Errorf("%q should be refused", bad)
		}
	}
}

func FuzzCron(f *testing.F) {
	for _, s := range []string{"0 9 * * 1-5", "*/5 * * * *", "0 0 29 2 *", "1,2,3 4-5/2 * * 0"} {
		f.Add(s)
	}
	from := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := jobs.ParseCron(s)
		if err != nil {
			return
		}
		next := c.Next(from)
		if !next.IsZero() && (!next.After(from) || next.Second() != 0) {
			t.Fatalf("%q: next %v after %v", s, next, from)
		}
	})
}

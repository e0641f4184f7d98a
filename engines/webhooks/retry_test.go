package webhooks

import (
	"testing"
	"time"
)

// FuzzParseRetryAfter: any header gives a wait between nothing and a day, never a panic.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{"120", " 5 ", "0", "-3", "99999999999999999999", "9223372036", "Sun, 06 Dec 2026 09:02:00 GMT", "Mon, 07 Dec 2026 09:00:00 GMT", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if d := parseRetryAfter(h, now); d < 0 || d > 24*time.Hour {
			t.Fatalf("%q: %s", h, d)
		}
	})
}

// TestParseRetryAfter: seconds and HTTP dates, capped at a day.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{"120": 2 * time.Minute, "Sun, 06 Dec 2026 09:02:00 GMT": 2 * time.Minute,
		"Sun, 06 Dec 2026 08:00:00 GMT": 0, "9223372036": 24 * time.Hour, "x": 0, "0": 0} {
		if got := parseRetryAfter(h, now); got != want {
			t.Errorf("%q: %s, want %s", h, got, want)
		}
	}
}

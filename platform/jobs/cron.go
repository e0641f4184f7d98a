package jobs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed five-field cron schedule: minute hour day-of-month month day-of-week,
// each * or a list of numbers, ranges a-b and steps */n or a-b/n (day of week 0–7, 0 and 7
// are Sunday). "0 9 * * 1-5" is 09:00 on weekdays.
type Cron struct {
	fields [5]uint64 // bit i set: value i allowed
	domAll bool      // day of month was *
	dowAll bool      // day of week was *
}

var cronBounds = [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
var cronNames = [5]string{"minute", "hour", "day of month", "month", "day of week"}

// ParseCron reads a schedule; the error names the part that is wrong.
func ParseCron(s string) (*Cron, error) {
	parts := strings.Fields(s)
	if len(parts) != 5 {
		return nil, fmt.Errorf("a schedule has 5 parts (minute hour day month weekday), got %d", len(parts))
	}
	c := &Cron{domAll: parts[2] == "*", dowAll: parts[4] == "*"}
	for i, p := range parts {
		lo, hi := cronBounds[i][0], cronBounds[i][1]
		for _, item := range strings.Split(p, ",") {
			rng, stepText, hasStep := strings.Cut(item, "/")
			step := 1
			if hasStep {
				n, err := strconv.Atoi(stepText)
				if err != nil || n < 1 || n > hi {
					return nil, fmt.Errorf("%s: bad step %q", cronNames[i], stepText)
				}
				step = n
			}
			a, b := lo, hi
			if rng != "*" {
				first, last, isRange := strings.Cut(rng, "-")
				var err error
				if a, err = strconv.Atoi(first); err != nil {
					return nil, fmt.Errorf("%s: %q is not a number", cronNames[i], first)
				}
				b = a
				if isRange {
					if b, err = strconv.Atoi(last); err != nil {
						return nil, fmt.Errorf("%s: %q is not a number", cronNames[i], last)
					}
				} else if hasStep {
					b = hi
				}
				if a < lo || b > hi || a > b {
					return nil, fmt.Errorf("%s: %q is outside %d–%d", cronNames[i], rng, lo, hi)
				}
			}
			for v := a; v <= b; v += step {
				c.fields[i] |= 1 << v
			}
		}
	}
	if c.fields[4]&(1<<7) != 0 { // 7 is Sunday too
		c.fields[4] |= 1
	}
	return c, nil
}

func (c *Cron) has(i, v int) bool { return c.fields[i]&(1<<v) != 0 }

// Next returns the first minute after t (in t's zone) that the schedule matches, or the
// zero time if none comes within five years (e.g. 30 February).
func (c *Cron) Next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	end := t.AddDate(5, 0, 0)
	for t.Before(end) {
		if !c.has(3, int(t.Month())) {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, t.Location())
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
			continue
		}
		if !c.has(1, t.Hour()) {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, t.Location())
			continue
		}
		if !c.has(0, t.Minute()) {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}

// dayMatches follows cron: when both day fields are restricted, either may match.
func (c *Cron) dayMatches(t time.Time) bool {
	dom, dow := c.has(2, t.Day()), c.has(4, int(t.Weekday()))
	switch {
	case c.domAll && c.dowAll:
		return true
	case c.domAll:
		return dow
	case c.dowAll:
		return dom
	}
	return dom || dow
}

// Matches reports whether the minute of t (in t's zone) is one of the schedule's.
func (c *Cron) Matches(t time.Time) bool {
	return c.has(3, int(t.Month())) && c.dayMatches(t) && c.has(1, t.Hour()) && c.has(0, t.Minute())
}

package views

import (
	"context"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

func init() {
	problem.AddMessage("calendar_range", "日期范围须是 YYYY-MM-DD 格式的开始日期 from 和结束日期 to，结束不早于开始，最多 {max} 天",
		"the range must be a start date from and an end date to as YYYY-MM-DD, the end not before the start, at most {max} days")
}

// MaxCalendarDays is the longest range a calendar asks for at once: a month grid's six weeks
// and more.
const MaxCalendarDays = 62

// CalendarQuery asks for the records whose date (or date-time) field Field falls on a day
// from From to To (YYYY-MM-DD, both included; date-times by the reader's own days) and that
// match Filter and Search.
type CalendarQuery struct {
	Field, From, To string
	Filter          *cond.Node
	Search          string
}

// calendarField checks that f can arrange a calendar.
func calendarField(f *schema.Field) error {
	if !f.Type.IsTime() || f.Sensitive {
		return problem.Invalid("view_calendar_field", "name", f.Name).At("date")
	}
	return nil
}

// Calendar lists the records of a calendar as the actor may read them, earliest first: the
// records engine's List under the actor's access policy, with the range as one more
// condition. At most records.MaxLimit of them; the page's Total says how many there are.
func Calendar(ctx context.Context, rs *records.Service, a access.Actor, t *schema.Table, q CalendarQuery) (*records.Page, error) {
	f := t.Field(q.Field)
	if f == nil {
		return nil, problem.NotFound("field", q.Field)
	}
	if err := calendarField(f); err != nil {
		return nil, err
	}
	from, err1 := time.Parse(time.DateOnly, q.From)
	to, err2 := time.Parse(time.DateOnly, q.To)
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) >= MaxCalendarDays*24*time.Hour {
		return nil, problem.Invalid("calendar_range", "max", MaxCalendarDays).At("from")
	}
	in := &cond.Node{Field: f.ID, Op: "between", Value: []any{q.From, q.To}}
	if q.Filter != nil {
		in = &cond.Node{And: []*cond.Node{q.Filter, in}}
	}
	return rs.List(ctx, a, t, records.Query{Filter: in, Search: q.Search, Sort: f.ID, Limit: records.MaxLimit})
}

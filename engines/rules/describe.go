package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"tierbase/core/cond"
	"tierbase/core/schema"
)

// Describe renders a rule as a sentence in lang ("en", otherwise Chinese), e.g.
// 当 新增记录时，如果 累计消费金额 大于 10000，则 给 标签 加上 大客户；发送通知「…」. Fields are named
// by their names in cat (a deleted field by its id).
func (r *Rule) Describe(cat *schema.Catalog, lang string) string {
	t, _ := cat.Table(r.Table)
	en := lang == "en"
	pick := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	name := func(tb *schema.Table, ref string) string {
		if tb != nil {
			if f := tb.Field(ref); f != nil {
				return f.Name
			}
		}
		return ref
	}
	var triggers []string
	for _, tr := range r.Triggers {
		switch tr.On {
		case OnCreated:
			triggers = append(triggers, pick("新增记录时", "a record is created"))
		case OnUpdated:
			triggers = append(triggers, pick("修改记录时", "a record is updated"))
		case OnDeleted:
			triggers = append(triggers, pick("删除记录时", "a record is deleted"))
		case OnChanged:
			names := make([]string, len(tr.Fields))
			for i, f := range tr.Fields {
				names[i] = name(t, f)
			}
			triggers = append(triggers, fmt.Sprintf(pick("%s 变化时", "%s changes"), strings.Join(names, pick("、", ", "))))
		case OnSchedule:
			triggers = append(triggers, scheduleText(tr.Cron, en))
		case OnAlways:
			triggers = append(triggers, pick("始终", "always"))
		}
	}
	var when []string
	if r.When != nil {
		when = append(when, cond.Describe(r.When, t, lang))
	}
	ops := map[string][2]string{"gt": {"大于", "more than"}, "gte": {"不少于", "at least"}, "eq": {"等于", "exactly"}, "lte": {"不多于", "at most"}, "lt": {"少于", "fewer than"}}
	if rel := r.Related; rel != nil {
		op := ops[rel.Op]
		related, _ := cat.Table(rel.Table)
		what := pick("关联记录", "related records")
		if related != nil {
			what = pick("关联的", "related ") + related.Name
		}
		if rel.Where != nil {
			what = fmt.Sprintf(pick("满足「%s」的%s", "%[2]s where %[1]s"), cond.Describe(rel.Where, related, lang), what)
		}
		when = append(when, fmt.Sprintf(pick("%s 数量%s %g", "%s number %s %g"), what, pick(op[0], " "+op[1]), rel.Value))
	}
	if ev := r.Events; ev != nil {
		what := ev.Name
		if ev.Property != "" {
			what = fmt.Sprintf(pick("%s（%s 为 %s）", "%s (%s = %s)"), ev.Name, ev.Property, ev.Equals)
		}
		when = append(when, fmt.Sprintf(pick("近%d天 %s次数%s %g", "%[2]s in the last %[1]d days %[3]s %[4]g times"), ev.Days, what, pick(ops[ev.Op][0], ops[ev.Op][1]), ev.Value))
	}
	var acts []string
	for _, a := range r.Actions {
		switch a.Type {
		case ActSet:
			v := fmt.Sprint(a.Value)
			if a.Formula != "" {
				v = "=" + strings.TrimPrefix(a.Formula, "=")
			}
			acts = append(acts, fmt.Sprintf(pick("将 %s 设为 %s", "set %s to %s"), name(t, a.Field), v))
		case ActAddTag:
			acts = append(acts, fmt.Sprintf(pick("给 %s 加上 %s", "add %[2]s to %[1]s"), name(t, a.Field), a.Tag))
		case ActRemoveTag:
			acts = append(acts, fmt.Sprintf(pick("从 %s 去掉 %s", "remove %[2]s from %[1]s"), name(t, a.Field), a.Tag))
		case ActAssign:
			acts = append(acts, fmt.Sprintf(pick("分配 %s", "assign %s"), name(t, a.Field)))
		case ActCreate:
			target := a.Target
			if tt, err := cat.Table(a.Target); err == nil {
				target = tt.Name
			}
			acts = append(acts, fmt.Sprintf(pick("新建一条 %s", "create a %s record"), target))
		case ActNotify:
			acts = append(acts, fmt.Sprintf(pick("发送通知「%s」", "notify \"%s\""), a.Title))
		case ActRobot:
			acts = append(acts, fmt.Sprintf(pick("发到群机器人「%s」", "post \"%s\" to a group robot"), a.Title))
		case ActStartFlow:
			acts = append(acts, fmt.Sprintf(pick("发起流程 %s", "start the flow %s"), a.Flow))
		case ActWebhook:
			keys := slices.Sorted(maps.Keys(a.Payload))
			acts = append(acts, fmt.Sprintf(pick("调用 Webhook，发送 %s", "call a webhook with %s"), strings.Join(keys, pick("、", ", "))))
		}
	}
	if len(r.Triggers) == 1 && r.Triggers[0].On == OnAlways && len(when) > 0 {
		if en {
			return "kept: while " + strings.Join(when, " and ") + ", " + strings.Join(acts, "; ") + " (undone when it no longer holds)"
		}
		return "始终保持：当 " + strings.Join(when, " 且 ") + " 时，" + strings.Join(acts, "；") + "（不再满足时撤销）"
	}
	if en {
		s := "when " + strings.Join(triggers, " or ")
		if len(when) > 0 {
			s += ", if " + strings.Join(when, " and ")
		}
		return s + ", " + strings.Join(acts, "; ")
	}
	s := "当 " + strings.Join(triggers, " 或 ")
	if len(when) > 0 {
		s += "，如果 " + strings.Join(when, " 且 ")
	}
	return s + "，则 " + strings.Join(acts, "；")
}

// scheduleText says a cron schedule in words when it is one the editor picks — 每天 09:00,
// 每周一、三 09:00, 每月 1 日 09:00 — and as the cron text otherwise.
func scheduleText(cron string, en bool) string {
	raw := "按定时 " + cron
	if en {
		raw = "on schedule " + cron
	}
	f := strings.Fields(cron)
	num := func(s string, lo, hi int) bool { n, err := strconv.Atoi(s); return err == nil && n >= lo && n <= hi }
	if len(f) != 5 || !num(f[0], 0, 59) || !num(f[1], 0, 23) || f[3] != "*" {
		return raw
	}
	m, _ := strconv.Atoi(f[0])
	h, _ := strconv.Atoi(f[1])
	at := fmt.Sprintf("%02d:%02d", h, m)
	zhDays := []string{"日", "一", "二", "三", "四", "五", "六", "日"}
	enDays := []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	switch {
	case f[2] == "*" && f[4] == "*":
		if en {
			return "every day at " + at
		}
		return "每天 " + at
	case f[2] == "*":
		var zh, e []string
		for _, d := range strings.Split(f[4], ",") {
			if !num(d, 0, 7) {
				return raw
			}
			n, _ := strconv.Atoi(d)
			zh, e = append(zh, zhDays[n]), append(e, enDays[n])
		}
		if en {
			return "every " + strings.Join(e, ", ") + " at " + at
		}
		return "每周" + strings.Join(zh, "、") + " " + at
	case f[4] == "*" && num(f[2], 1, 31):
		if en {
			return "on day " + f[2] + " of every month at " + at
		}
		return "每月 " + f[2] + " 日 " + at
	}
	return raw
}

package flows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"tierbase/core/cond"
	"tierbase/core/schema"
)

// Describe renders a flow in plain words in lang ("en", otherwise Chinese), one line per
// node, the nodes of a branch indented under it, e.g.
//
//	审批「销售总监审批」：角色 销售总监，或签
//	条件分支「金额判断」
//	  分支「大额」：如果 报价金额 大于 100000
//	    审批「财务总监审批」：角色 财务总监，或签
//	  默认
//	结束
//
// Fields are named by their names in t, people by name through names (their id when it
// returns ""), roles by roleName.
func Describe(f *Flow, t *schema.Table, names func(int64) string, roleName func(string) string, lang string) []string {
	d := describer{t: t, en: lang == "en", names: names, roleName: roleName}
	d.sequence(f.Nodes, 0)
	return d.lines
}

type describer struct {
	t        *schema.Table
	en       bool
	names    func(int64) string
	roleName func(string) string
	lines    []string
}

func (d *describer) pick(zh, en string) string {
	if d.en {
		return en
	}
	return zh
}

// value says what a 数据操作 writes: a literal, one of the flow's record's fields (=客户), or
// a formula over them.
func (d *describer) value(v any) string {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(strings.TrimSpace(s), "=") {
		return fmt.Sprint(v)
	}
	ref := strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "=")), "{}")
	if f := d.t.Field(ref); f != nil {
		return fmt.Sprintf(d.pick("本记录的 %s", "this record's %s"), f.Name)
	}
	return fmt.Sprintf(d.pick("公式 %s", "the formula %s"), strings.TrimSpace(s))
}

func (d *describer) add(depth int, s string) {
	d.lines = append(d.lines, strings.Repeat("  ", depth)+s)
}

func (d *describer) sequence(nodes []*Node, depth int) {
	for _, n := range nodes {
		d.node(n, depth)
	}
}

func (d *describer) node(n *Node, depth int) {
	q := func(s string) string { return d.pick("「"+s+"」", " \""+s+"\"") }
	switch n.Type {
	case End:
		d.add(depth, d.pick("结束", "end"))
	case Approve:
		modes := map[string][2]string{"": {"或签（一人同意即可）", "any one approves"}, ModeOr: {"或签（一人同意即可）", "any one approves"},
			ModeAnd: {"会签（需全部同意）", "all must approve"}, ModeSeq: {"依次审批", "one after another"}}
		mode := d.pick(modes[n.Mode][0], modes[n.Mode][1])
		if n.Mode == ModeVote {
			mode = fmt.Sprintf(d.pick("票签（%d%% 同意即通过）", "passes when %d%% approve"), n.Percent)
		}
		d.add(depth, fmt.Sprintf(d.pick("审批%s：%s，%s", "approval%s: %s, %s"), q(n.Name), d.who(n.Who), mode)+d.limit(n.Limit))
	case Fill:
		var fields []string
		for _, f := range d.t.Fields {
			if n.Fields[f.ID] == FieldEdit || n.Fields[f.Name] == FieldEdit {
				fields = append(fields, f.Name)
			}
		}
		d.add(depth, fmt.Sprintf(d.pick("填写%s：%s 填写 %s", "fill-in%s: %s fill in %s"), q(n.Name), d.who(n.Who), strings.Join(fields, d.pick("、", ", ")))+d.limit(n.Limit))
	case DataOp:
		if n.Data == nil {
			d.add(depth, d.pick("数据操作", "data")+q(n.Name))
			break
		}
		var sets []string
		for ref, v := range n.Data.Values {
			sets = append(sets, fmt.Sprintf(d.pick("%s 设为 %s", "%s to %s"), ref, d.value(v)))
		}
		slices.Sort(sets)
		what := d.pick("更新本记录", "update this record")
		if n.Data.Op == DataCreate {
			what = fmt.Sprintf(d.pick("在 %s 新增记录", "add a record to %s"), n.Data.Table)
		}
		d.add(depth, fmt.Sprintf(d.pick("数据操作%s：%s，%s", "data%s: %s, %s"), q(n.Name), what, strings.Join(sets, d.pick("，", ", "))))
	case DelayOp:
		var how string
		switch {
		case n.Delay == nil:
		case n.Delay.Days > 0:
			how = fmt.Sprintf(d.pick("等待 %d 天", "wait %d days"), n.Delay.Days)
		case n.Delay.Hours > 0:
			how = fmt.Sprintf(d.pick("等待 %d 小时", "wait %d hours"), n.Delay.Hours)
		default:
			how = fmt.Sprintf(d.pick("等到 %s", "wait until %s"), d.field(n.Delay.Field))
		}
		d.add(depth, fmt.Sprintf(d.pick("延时%s：%s", "delay%s: %s"), q(n.Name), how))
	case CC:
		d.add(depth, fmt.Sprintf(d.pick("抄送%s：%s", "copy%s to %s"), q(n.Name), d.who(n.Who)))
	case Notify:
		var parts []string
		if !n.Who.empty() {
			parts = append(parts, fmt.Sprintf(d.pick("告诉 %s「%s」", "tell %s \"%s\""), d.who(n.Who), n.Title))
		}
		if n.Robot != "" {
			parts = append(parts, fmt.Sprintf(d.pick("发到群机器人「%s」", "post \"%s\" to a group robot"), n.Title))
		}
		if n.Webhook != "" {
			keys := slices.Sorted(maps.Keys(n.Payload))
			parts = append(parts, fmt.Sprintf(d.pick("调用 Webhook，发送 %s", "call a webhook with %s"), strings.Join(keys, d.pick("、", ", "))))
		}
		d.add(depth, fmt.Sprintf(d.pick("通知%s：%s", "notify%s: %s"), q(n.Name), strings.Join(parts, d.pick("；", "; "))))
	case Parallel:
		d.add(depth, d.pick("并行分支", "in parallel")+q(n.Name)+d.pick("：各分支都完成后继续", ": goes on once every branch is done"))
		for _, b := range n.Branches {
			d.add(depth+1, d.pick("分支", "branch")+q(b.Name))
			d.sequence(b.Nodes, depth+2)
		}
	case Condition:
		d.add(depth, d.pick("条件分支", "branch")+q(n.Name))
		for _, b := range n.Branches {
			if b.Default {
				d.add(depth+1, d.pick("默认", "otherwise"))
			} else {
				d.add(depth+1, fmt.Sprintf(d.pick("分支%s：如果 %s", "branch%s: if %s"), q(b.Name), cond.Describe(b.When, d.t, map[bool]string{true: "en", false: "zh"}[d.en])))
			}
			d.sequence(b.Nodes, depth+2)
		}
	default:
		d.add(depth, n.Type+q(n.Name))
	}
}

// limit tells a node's time limit, after a comma.
func (d *describer) limit(l *Limit) string {
	if l == nil {
		return ""
	}
	var due string
	switch {
	case l.Days > 0:
		due = fmt.Sprintf(d.pick("%d 天内处理", "within %d days"), l.Days)
	case l.Hours > 0:
		due = fmt.Sprintf(d.pick("%d 小时内处理", "within %d hours"), l.Hours)
	default:
		due = fmt.Sprintf(d.pick("%s 前处理", "by %s"), d.field(l.Field))
	}
	then := map[string][2]string{ExpiryPass: {"超时自动通过", "then passes by itself"}, ExpiryReject: {"超时自动拒绝", "then is rejected"},
		ExpiryRemind: {"超时提醒", "then reminds"}, ExpiryEscalate: {"超时转交给 " + d.who(l.EscalateTo), "then goes to " + d.who(l.EscalateTo)}}[l.OnExpiry]
	return d.pick("，", ", ") + due + d.pick("，", ", ") + d.pick(then[0], then[1])
}

// field is the name of a field of the flow's table (its reference when it is gone).
func (d *describer) field(ref string) string {
	if d.t != nil && d.t.Field(ref) != nil {
		return d.t.Field(ref).Name
	}
	return ref
}

// who names the people of w.
func (d *describer) who(w *Who) string {
	if w == nil {
		return d.pick("无人", "nobody")
	}
	var parts []string
	for _, id := range w.Users {
		name := d.names(id)
		if name == "" {
			name = fmt.Sprint(id)
		}
		parts = append(parts, name)
	}
	for _, r := range w.Roles {
		parts = append(parts, d.pick("角色 ", "role ")+d.roleName(r))
	}
	if w.Heads > 0 {
		whose := d.pick("发起人", "the initiator")
		if w.HeadsOf != "" {
			whose = d.field(w.HeadsOf)
		}
		if w.Heads == 1 {
			parts = append(parts, fmt.Sprintf(d.pick("%s的部门主管", "the head of %s's department"), whose))
		} else {
			parts = append(parts, fmt.Sprintf(d.pick("%s的连续 %d 级主管", "%s's heads up %d levels"), whose, w.Heads))
		}
	}
	if w.Field != "" {
		parts = append(parts, fmt.Sprintf(d.pick("字段 %s 中的成员", "the member in %s"), d.field(w.Field)))
	}
	if w.Initiator {
		parts = append(parts, d.pick("发起人本人", "the initiator"))
	}
	if w.Chosen {
		parts = append(parts, d.pick("发起人自选", "chosen by the initiator"))
	}
	return strings.Join(parts, d.pick("、", ", "))
}

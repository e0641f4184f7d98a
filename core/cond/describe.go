package cond

import (
	"fmt"
	"strconv"
	"strings"

	"tierbase/core/schema"
)

// Describe renders n as a sentence for people in lang ("en", otherwise Chinese), e.g.
// "最近消费日 在最近30天内 且 购买频率 大于 5" or "购买频率 is greater than 5". Fields are
// named by their display name on t, or as written when t has no such field. It does not
// check n, so describe a condition after Check to be sure it means what it says.
func Describe(n *Node, t *schema.Table, lang string) string {
	d := describer{t: t, en: lang == "en"}
	if n == nil {
		return d.pick("全部记录", "all records")
	}
	return d.node(n, true)
}

type describer struct {
	t    *schema.Table
	en   bool
	dept bool // the leaf is on a 部门 field: $myDepartments are departments, not people
}

func (d describer) pick(zh, en string) string {
	if d.en {
		return en
	}
	return zh
}

// node describes n; groups other than the outermost one are put in brackets.
func (d describer) node(n *Node, top bool) string {
	switch {
	case n.Not != nil:
		return d.pick("并非（", "not (") + d.node(n.Not, true) + d.pick("）", ")")
	case n.Field != "" || n.Op != "" || n.Value != nil:
		return d.leaf(n)
	}
	list, sep := n.And, d.pick(" 且 ", " and ")
	if n.Or != nil {
		list, sep = n.Or, d.pick(" 或 ", " or ")
	}
	switch len(list) {
	case 0:
		return d.pick("全部记录", "all records")
	case 1:
		return d.node(list[0], top)
	}
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = "?"
		if c != nil {
			parts[i] = d.node(c, false)
		}
	}
	s := strings.Join(parts, sep)
	if top {
		return s
	}
	return d.pick("（", "(") + s + d.pick("）", ")")
}

func (d describer) leaf(n *Node) string {
	name := n.Field
	if d.t != nil {
		if f := d.t.Field(n.Field); f != nil {
			name, d.dept = f.Name, f.Type == schema.Department
		}
	}
	phrase := n.Op + " {v}"
	if info, ok := ops[n.Op]; ok {
		phrase = d.pick(info.zh, info.en)
	}
	a, b := "?", "?"
	if items, ok := asList(n.Value); ok && len(items) == 2 {
		a, b = d.value(items[0]), d.value(items[1])
	}
	return name + " " + strings.NewReplacer("{v}", d.value(n.Value), "{a}", a, "{b}", b).Replace(phrase)
}

// value writes a value as people write it: lists in brackets, "$me" as the current user.
func (d describer) value(v any) string {
	if items, ok := asList(v); ok {
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = d.value(it)
		}
		return "[" + strings.Join(parts, d.pick("、", ", ")) + "]"
	}
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		switch v {
		case Me:
			return d.pick("当前用户", "the current user")
		case MyDepartments:
			if d.dept {
				return d.pick("我的部门", "my departments")
			}
			return d.pick("我的部门的成员", "the people of my departments")
		case MySubDepartments:
			if d.dept {
				return d.pick("我的部门及下级部门", "my departments and those below them")
			}
			return d.pick("我的部门及下级的成员", "the people of my departments and those below them")
		}
		return v
	case bool:
		if v {
			return d.pick("是", "yes")
		}
		return d.pick("否", "no")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

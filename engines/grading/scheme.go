// Package grading grades records and scores them. A grading scheme (分级方案) is an ordered
// list of levels on one 单选 field — the first level whose condition holds wins, the rest get
// the default — kept right on every write (the rules engine asks Grade inside the record's
// transaction), by the daily pass as days go by, and at once when the scheme changes. Every
// change of a graded field is kept in the tier history. RFM models score customers 1–5 on
// recency, frequency and money and put them in segments. The package knows no rules: the
// rules engine hooks in through FieldTaken and GradesChanged.
package grading

import (
	"encoding/json"
	"fmt"
	"strings"

	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Scheme is a grading scheme: e.g. 客户等级 = 高价值客户 when …, else 潜力客户 when …, else 普通客户.
type Scheme struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Table   string  `json:"table"` // table id
	Field   string  `json:"field"` // id of the graded 单选 field
	Levels  []Level `json:"levels"`
	Default string  `json:"default,omitempty"` // value of records no level matches ("" leaves them empty)
	Enabled bool    `json:"enabled"`
}

// Level is one grade and the condition that earns it.
type Level struct {
	Value string     `json:"value"`
	When  *cond.Node `json:"when"`
}

// check validates s against its table, normalising table and field to ids.
func (s *Scheme) check(cat *schema.Catalog) (*schema.Table, *schema.Field, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return nil, nil, problem.Invalid("bad_name", "max", 64).At("name")
	}
	t, err := cat.Table(s.Table)
	if err != nil {
		return nil, nil, err
	}
	s.Table = t.ID
	f := t.Field(s.Field)
	if f == nil {
		return nil, nil, problem.Invalid("unknown_field", "table", t.Name, "name", s.Field).At("field")
	}
	if f.Type != schema.Select || f.IsComputed() {
		return nil, nil, problem.Invalid("scheme_field", "name", f.Name).At("field")
	}
	s.Field = f.ID
	if len(s.Levels) == 0 {
		return nil, nil, problem.Invalid("scheme_levels").At("levels")
	}
	for i, l := range s.Levels {
		if !f.HasOption(l.Value) {
			return nil, nil, problem.Invalid("bad_option", "value", l.Value, "options", strings.Join(f.OptionValues(), "、")).At(fmt.Sprintf("levels[%d].value", i))
		}
		if l.When == nil {
			return nil, nil, problem.Invalid("bad_condition", "reason", "empty").At(fmt.Sprintf("levels[%d].when", i))
		}
		if err := cond.Check(l.When, t); err != nil {
			if p := problem.As(err); p != nil {
				p.Path = fmt.Sprintf("levels[%d].when.%s", i, p.Path)
			}
			return nil, nil, err
		}
		if UsesMe(l.When) {
			return nil, nil, problem.Invalid("scheme_me").At(fmt.Sprintf("levels[%d].when", i))
		}
	}
	if s.Default != "" && !f.HasOption(s.Default) {
		return nil, nil, problem.Invalid("bad_option", "value", s.Default, "options", strings.Join(f.OptionValues(), "、")).At("default")
	}
	return t, f, nil
}

// Describe renders the scheme as sentences, e.g. 当 最近消费日 在最近30天内 且 … 时，将 客户等级 设为 高价值客户.
func (s *Scheme) Describe(t *schema.Table, lang string) string {
	f := t.Field(s.Field)
	name := s.Field
	if f != nil {
		name = f.Name
	}
	var parts []string
	for i, l := range s.Levels {
		c := cond.Describe(l.When, t, lang)
		switch {
		case lang == "en" && i == 0:
			parts = append(parts, fmt.Sprintf("when %s, set %s to %s", c, name, l.Value))
		case lang == "en":
			parts = append(parts, fmt.Sprintf("otherwise when %s, set it to %s", c, l.Value))
		case i == 0:
			parts = append(parts, fmt.Sprintf("当 %s 时，将 %s 设为 %s", c, name, l.Value))
		default:
			parts = append(parts, fmt.Sprintf("否则当 %s 时，设为 %s", c, l.Value))
		}
	}
	if s.Default != "" {
		if lang == "en" {
			parts = append(parts, "otherwise set it to "+s.Default)
		} else {
			parts = append(parts, "其余设为 "+s.Default)
		}
	}
	if lang == "en" {
		return strings.Join(parts, "; ")
	}
	return strings.Join(parts, "；")
}

// UsesMe reports whether a condition refers to the current user, which grading (and the
// set-wise runs of rules) has none of.
func UsesMe(n *cond.Node) bool {
	if n == nil {
		return false
	}
	if n.Value == cond.Me {
		return true
	}
	if list, ok := n.Value.([]any); ok {
		for _, v := range list {
			if v == cond.Me {
				return true
			}
		}
	}
	for _, c := range append(append([]*cond.Node{n.Not}, n.And...), n.Or...) {
		if UsesMe(c) {
			return true
		}
	}
	return false
}

func decodeScheme(def string) (*Scheme, error) {
	s := &Scheme{}
	return s, json.Unmarshal([]byte(def), s)
}

func init() {
	problem.AddMessage("scheme_field", "分级字段「{name}」必须是单选字段", "the graded field \"{name}\" must be a single-select field")
	problem.AddMessage("scheme_levels", "请至少设置一个等级", "add at least one level")
	problem.AddMessage("scheme_me", "分级条件不能使用“当前用户”：分级不属于任何用户", "grading conditions cannot use the current user: grading runs for nobody")
	problem.AddMessage("scheme_disabled", "分级方案已停用，请先启用", "the scheme is disabled; enable it first")
	problem.AddTerm("scheme", "分级方案", "grading scheme")
}

package schema

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"tierbase/platform/problem"
)

// Kinds of computed field. A computed field's Type is the type of the value it holds (a
// rollup SUM of 金额 is money), so readers — filters, sorts, charts, export — treat it as
// any other column; only writers refuse it (the records engine keeps it current).
const (
	Formula = "formula" // 公式: an expression over the record's fields (core/formula)
	// 他表字段: a field of the record a link field points at; through a 多条关联, that field of
	// every linked record, as a list in the order of the link's ids (Type.ListForm)
	Lookup = "lookup"
	Rollup = "rollup" // 汇总: count/sum/avg/min/max of a field of the records linking here
)

// Rollup functions.
var RollupFns = []string{"count", "sum", "avg", "min", "max"}

// Computed says how a field's value is computed.
type Computed struct {
	Kind    string `json:"kind"`
	Formula string `json:"formula,omitempty"` // formula: the expression
	// lookup: a link field of this table; rollup: the link field of Table that points here
	Link  string `json:"link,omitempty"`
	Table string `json:"table,omitempty"` // rollup: the table whose records link here
	// lookup: the field of the linked table; rollup: the field of Table aggregated (none for count)
	Field string `json:"field,omitempty"`
	Fn    string `json:"fn,omitempty"` // rollup: one of RollupFns
	// Where is a rollup's condition on the records of Table (a core/cond tree).
	Where json.RawMessage `json:"where,omitempty"`
	// Base is a rollup's opening value (期初值): a field of this table people type or import,
	// holding what came before the records of Table were kept here (the 累计消费金额 of a
	// customer list moved from Excel). count and sum add it, min and max take it as one more
	// value; avg takes none.
	Base string `json:"base,omitempty"`
	// Refs are the ids of the fields the formula or the rollup's condition reads (of this
	// table for a formula, of Table for a rollup); the catalog fills them when it saves.
	Refs []string `json:"refs,omitempty"`
}

// IsComputed reports whether the field's values are computed, never written by people.
func (f *Field) IsComputed() bool { return f.Computed != nil }

// ComputedProblem is the answer to writing computed field f of t: it cannot be written, and
// a rollup with an opening value names the field that takes what came before.
func ComputedProblem(t *Table, f *Field) *problem.Error {
	if k := f.Computed; k != nil && k.Base != "" {
		if base := t.Field(k.Base); base != nil {
			return problem.Invalid("computed_field_base", "base", base.Name).OnField(f.Name)
		}
	}
	return problem.Invalid("computed_field").OnField(f.Name)
}

// Computer is what the catalog asks, about computed fields, of the engine that keeps them
// (the records engine, which knows formulas and conditions): the fields a formula or a
// rollup's condition reads, checking it; and filling the columns of new (or redefined)
// computed fields fs of t, which t holds and none of which reads another, inside the
// transaction that adds them.
type Computer interface {
	Refs(t *Table, f *Field) ([]string, error)
	Fill(ctx context.Context, tx *sql.Tx, t *Table, fs []*Field) error
}

// formulaTypes are the types a formula's result may have.
var formulaTypes = []Type{Number, Money, Percent, Text, Date, DateTime, Checkbox}

// checkComputed checks a computed field against the tables it reads and sets its type where
// that follows from them (a lookup has the type of the field it shows).
func checkComputed(s *snapshot, t *Table, f *Field, comp Computer) error {
	k := f.Computed
	table := func(ref string) *Table {
		if ref == t.ID || ref == t.Name {
			return t
		}
		if o, ok := s.byID[ref]; ok {
			return o
		}
		return s.byName[ref]
	}
	f.Required, f.Unique, f.Default, f.Sensitive = false, false, nil, false
	switch k.Kind {
	case Formula:
		if !slices.Contains(formulaTypes, f.Type) {
			f.Type = Number
		}
	case Lookup:
		link := t.Field(k.Link)
		if link == nil || !link.Type.Linked() {
			return problem.Invalid("lookup_not_link", "name", k.Link).OnField(f.Name).At("computed.link")
		}
		target := table(link.LinkTable)
		var shown *Field
		if target != nil {
			shown = target.Field(k.Field)
		}
		if shown == nil || shown.Sensitive {
			return problem.Invalid("unknown_field", "table", link.Name, "name", k.Field).OnField(f.Name).At("computed.field")
		}
		k.Link, k.Field = link.ID, shown.ID
		f.Type, f.Options, f.LinkTable = shown.Type, shown.Options, shown.LinkTable
		if link.Type == Links { // a value per linked record: the list form of the type
			list, ok := shown.Type.ListForm()
			if !ok {
				return problem.Invalid("lookup_no_list", "name", shown.Name, "type", string(shown.Type), "link", link.Name).OnField(f.Name).At("computed.field")
			}
			f.Type = list
		}
	case Rollup:
		child := table(k.Table)
		var link *Field
		if child != nil {
			link = child.Field(k.Link)
		}
		if link == nil || (link.Type != Link && link.Type != Links) || link.LinkTable != t.ID {
			return problem.Invalid("rollup_not_link_back", "table", k.Table, "name", k.Link, "here", t.Name).OnField(f.Name).At("computed.link")
		}
		k.Table, k.Link = child.ID, link.ID
		if !slices.Contains(RollupFns, k.Fn) {
			return problem.Invalid("bad_rollup_fn", "value", k.Fn, "fns", strings.Join(RollupFns, ", ")).OnField(f.Name).At("computed.fn")
		}
		if k.Fn == "count" {
			k.Field, f.Type = "", Number
		} else {
			src := child.Field(k.Field)
			ok := src != nil && !src.Sensitive && (src.Type.IsNumeric() || (src.Type.IsTime() && (k.Fn == "min" || k.Fn == "max")))
			if !ok {
				return problem.Invalid("bad_rollup_field", "table", child.Name, "name", k.Field, "fn", k.Fn).OnField(f.Name).At("computed.field")
			}
			k.Field, f.Type = src.ID, src.Type
			if f.Type == Rating {
				f.Type = Number
			}
		}
		if k.Base != "" {
			base := t.Field(k.Base)
			ok := base != nil && !base.IsComputed() && !base.System && !base.Sensitive && k.Fn != "avg" &&
				(base.Type == f.Type || (f.Type.IsNumeric() && base.Type.IsNumeric() && k.Fn != "max" && k.Fn != "min"))
			if !ok {
				return problem.Invalid("bad_rollup_base", "name", k.Base, "fn", k.Fn).OnField(f.Name).At("computed.base")
			}
			k.Base = base.ID
		}
	default:
		return problem.Invalid("bad_computed_kind", "value", k.Kind).OnField(f.Name).At("computed.kind")
	}
	if k.Kind != Lookup {
		f.Options, f.LinkTable = nil, ""
	}
	if k.Kind != Rollup {
		k.Base = ""
	}
	k.Refs = nil
	if k.Kind == Formula || len(k.Where) > 0 {
		if comp == nil {
			return errNoComputer
		}
		refs, err := comp.Refs(t, f)
		if err != nil {
			if p := problem.As(err); p != nil && p.Field == "" {
				p.OnField(f.Name)
			}
			return err
		}
		k.Refs = refs
	}
	return checkCycle(s, t, f)
}

// Reads lists the fields a computed field of t reads, as "tableID.fieldID".
func (f *Field) Reads(t *Table) []string {
	k := f.Computed
	if k == nil {
		return nil
	}
	var out []string
	add := func(table string, ids ...string) {
		for _, id := range ids {
			if id != "" {
				out = append(out, table+"."+id)
			}
		}
	}
	switch k.Kind {
	case Formula:
		add(t.ID, k.Refs...)
	case Lookup:
		add(t.ID, k.Link)
		if l := t.Field(k.Link); l != nil {
			add(l.LinkTable, k.Field)
		}
	case Rollup:
		add(k.Table, k.Link, k.Field)
		add(k.Table, k.Refs...)
		add(t.ID, k.Base)
	}
	return out
}

// readBy refuses to drop field fieldID of t (or, when fieldID is "", table t) while a
// computed field of another table, or another computed field of t, reads it; the tables keep
// (by id), being dropped too, do not count.
func readBy(s *snapshot, t *Table, fieldID string, keep ...string) error {
	name := t.Name
	if fieldID != "" {
		name += "." + t.Field(fieldID).Name
	}
	for _, o := range s.tables {
		if slices.Contains(keep, o.ID) {
			continue
		}
		for _, g := range o.Fields {
			for _, r := range g.Reads(o) {
				tid, fid, _ := strings.Cut(r, ".")
				if tid == t.ID && (fieldID == "" || fid == fieldID) && g.ID != fieldID {
					return problem.New(409, "in_use", "kind", "field", "name", name, "reason", o.Name+"."+g.Name)
				}
			}
		}
	}
	return nil
}

// fill computes the columns of fs, computed fields of t that t holds, for every record.
func fill(ctx context.Context, tx *sql.Tx, comp Computer, t *Table, fs []*Field) error {
	fs = slices.DeleteFunc(slices.Clone(fs), func(f *Field) bool { return !f.IsComputed() })
	if len(fs) == 0 {
		return nil
	}
	if comp == nil {
		return errNoComputer
	}
	return comp.Fill(ctx, tx, t, fs)
}

// withField is a copy of t with f in place of its field of the same id.
func withField(t *Table, f *Field) *Table {
	w := *t
	w.Fields = slices.Clone(t.Fields)
	for i, g := range w.Fields {
		if g.ID == f.ID {
			w.Fields[i] = f
		}
	}
	w.index()
	return &w
}

// errNoComputer is a catalog asked for a computed field with nothing to check or fill it.
var errNoComputer = errors.New("schema: the catalog has no Computer")

// checkCycle refuses f if, with it, computed fields would read each other in a ring; the
// error names the ring, e.g. 客户.A → 订单.B → 客户.A.
func checkCycle(s *snapshot, t *Table, f *Field) error {
	tableOf := func(id string) *Table {
		if id == t.ID {
			return t
		}
		return s.byID[id]
	}
	field := func(key string) (*Table, *Field) {
		tid, fid, _ := strings.Cut(key, ".")
		if fid == f.ID {
			return t, f
		}
		o := tableOf(tid)
		if o == nil {
			return nil, nil
		}
		return o, o.Field(fid)
	}
	start := t.ID + "." + f.ID
	var path []string
	onPath := map[string]bool{}
	var visit func(key string) bool
	visit = func(key string) bool {
		o, g := field(key)
		if g == nil || !g.IsComputed() {
			return false
		}
		if onPath[key] {
			path = append(path, key)
			return true
		}
		onPath[key] = true
		path = append(path, key)
		for _, r := range g.Reads(o) {
			if visit(r) {
				return true
			}
		}
		path = path[:len(path)-1]
		onPath[key] = false
		return false
	}
	if !visit(start) {
		return nil
	}
	names := make([]string, 0, len(path))
	for _, key := range path[slices.Index(path, path[len(path)-1]):] {
		o, g := field(key)
		names = append(names, o.Name+"."+g.Name)
	}
	return problem.Invalid("computed_cycle", "chain", strings.Join(names, " → ")).OnField(f.Name)
}

func init() {
	for k, l := range map[string][2]string{Formula: {"公式", "Formula"}, Lookup: {"他表字段", "Lookup"}, Rollup: {"汇总", "Rollup"}} {
		problem.AddTerm(k, l[0], l[1])
	}
	problem.AddMessage("computed_field_base", "由系统汇总得出，不能填写；汇总之外已有的数值（例如从 Excel 迁来的历史数据）请填在「{base}」",
		"is rolled up by the system and cannot be written; what came before (history moved from Excel, say) goes in \"{base}\"")
	problem.AddMessage("computed_field", "是计算字段（公式、他表字段或汇总），由系统计算，不能填写", "is a computed field (formula, lookup or rollup), computed by the system; it cannot be written")
	problem.AddMessage("lookup_not_link", "「{name}」不是本表的关联记录字段，他表字段要经由一个关联记录字段取值", "\"{name}\" is not a link field of this table; a lookup shows a field of the record a link field points at")
	problem.AddMessage("lookup_no_list", "「{name}」是{type}字段，经由多条关联「{link}」取值时没有可用的列表形式；可选文本、单选、多选、标签、数字、金额、百分比、等级、日期或关联记录字段",
		"\"{name}\" is a {type} field, which has no list form to show through the multi-link \"{link}\"; pick a text, select, multi-select, tags, number, money, percent, rating, date or link field")
	problem.AddMessage("rollup_not_link_back", "表「{table}」的「{name}」不是关联到「{here}」的关联记录字段，汇总只能统计关联到本表的记录", "\"{name}\" of table \"{table}\" is not a link field pointing at \"{here}\"; a rollup counts the records that link here")
	problem.AddMessage("bad_rollup_fn", "汇总方式「{value}」无效，可选：{fns}", "\"{value}\" is not a rollup function; use one of {fns}")
	problem.AddMessage("bad_rollup_base", "期初值「{name}」不可用：它须是本表中可以填写的字段（不是计算字段、系统字段或敏感字段），计数与求和时是数字，最大最小时与汇总结果同类型；平均值不能有期初值",
		"the opening value \"{name}\" cannot be used: it must be a field of this table that people fill in (not computed, built-in or sensitive), a number for count and sum, of the rollup's type for min and max; an average takes none")
	problem.AddMessage("bad_rollup_field", "表「{table}」的「{name}」不能做 {fn} 汇总：求和与平均需要数字字段，最大最小需要数字或日期字段", "\"{name}\" of table \"{table}\" cannot be rolled up with {fn}: sum and avg need a number field, min and max a number or date field")
	problem.AddMessage("bad_computed_kind", "计算方式「{value}」无效，可选：formula（公式）、lookup（他表字段）、rollup（汇总）", "\"{value}\" is not a kind of computed field; use formula, lookup or rollup")
	problem.AddMessage("computed_cycle", "计算字段循环引用：{chain}", "computed fields would read each other in a ring: {chain}")
}

package flows

import (
	"context"
	"database/sql"
	"maps"
	"strings"

	"tierbase/core/access"
	"tierbase/core/formula"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Data is what a 数据操作 node does: update the flow's record, or create a record in Table.
// Values are by field (name or id) of the record written: a literal, or "=formula" over the
// flow's record ("={ID}" links back to it).
type Data struct {
	Op     string         `json:"op"`              // DataCreate or DataUpdate
	Table  string         `json:"table,omitempty"` // DataCreate: the table to add to
	Values map[string]any `json:"values"`
}

// Operations of a 数据操作 node.
const (
	DataCreate = "create"
	DataUpdate = "update"
)

// ActData is the timeline's entry of a 数据操作 node; ActSubmit a 填写's submission.
const (
	ActData   = "data"
	ActSubmit = "submit"
)

// checkData checks a 数据操作 node against the flow's table and the table it writes.
func (c *checker) checkData(n *Node, cat func(string) *schema.Table) {
	d := n.Data
	if d == nil || len(d.Values) == 0 {
		c.fail(n, "flow_data_empty")
		return
	}
	target := c.t
	switch d.Op {
	case DataUpdate:
	case DataCreate:
		if target = cat(d.Table); target == nil {
			c.fail(n, "flow_data_table", "table", d.Table)
			return
		}
	default:
		c.fail(n, "flow_data_op", "op", d.Op)
		return
	}
	for ref, v := range d.Values {
		f := target.Field(ref)
		if f == nil || (f.System && f.ID != schema.FieldOwner) {
			c.fail(n, "flow_unknown_field", "field", ref)
			continue
		}
		if s, ok := v.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "=") {
			if _, err := formula.Compile(s, c.t); err != nil {
				c.fail(n, "flow_data_formula", "field", f.Name, "formula", s)
			}
			continue
		}
		if _, p := f.Normalize(v, nil); p != nil {
			c.fail(n, "flow_data_value", "field", f.Name)
		}
	}
}

// writeData runs a 数据操作 node through the records engine as the system naming the flow, as
// 钉钉 and 飞书 do: validation, rules and history apply whoever's action reached the node, and
// the history and the operation log name the flow (records.ForFlow). A record it creates
// belongs to the initiator unless the node sets its 负责人.
func (e *Engine) writeData(ctx context.Context, tx *sql.Tx, in *instance, n *Node) (*problem.Error, error) {
	rec, stop, err := e.record(ctx, in)
	if err != nil || stop != nil {
		return stop, err
	}
	d := n.Data
	target := in.table
	if d.Op == DataCreate {
		if target, err = e.Catalog.Table(d.Table); err != nil {
			return problem.New(409, "flow_data_table", "node", n.Name, "table", d.Table), nil
		}
	}
	values := records.Input{}
	env := formula.Env{Now: e.Now(), Loc: e.loc()}
	for ref, v := range d.Values {
		f := target.Field(ref)
		if f == nil {
			return problem.New(409, "flow_field_gone", "node", n.Name, "field", ref), nil
		}
		if s, ok := v.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "=") {
			fm, err := e.formula(s, in.table)
			if err != nil {
				return problem.New(409, "flow_data_formula", "node", n.Name, "field", f.Name, "formula", s), nil
			}
			if v, err = fm.Eval(rec, env); err != nil {
				return problem.New(409, "flow_data_formula", "node", n.Name, "field", f.Name, "formula", s), nil
			}
			if v == 0.0 && (f.Type == schema.User || f.Type == schema.Link) {
				v = nil // an empty user or link reads as 0 in formulas
			}
		}
		values[f.ID] = v
	}
	detail := map[string]any{"op": d.Op, "table": target.ID}
	byFlow := records.ForFlow(ctx, in.flowName)
	if d.Op == DataCreate {
		if _, set := values[schema.FieldOwner]; !set && in.initiator != 0 {
			values[schema.FieldOwner] = in.initiator
		}
		made, err := e.Records.CreateTx(byFlow, tx, access.System, target, values)
		if err != nil {
			return nil, err
		}
		detail["record"] = made.ID()
	} else {
		if in.rec, err = e.Records.UpdateTx(byFlow, tx, access.System, target, in.record, values); err != nil {
			return nil, err
		}
		detail["record"] = in.record
	}
	return nil, e.event(in, 0, n.ID, ActData, "", detail)
}

// compiledFormula is a 数据操作's formula compiled over one shape of its table: a field added
// or changed gives the table a new *schema.Table, and the formula is compiled again.
type compiledFormula struct {
	t  *schema.Table
	fm *formula.Formula
}

// formula compiles a 数据操作's formula over t, once per table shape.
func (e *Engine) formula(text string, t *schema.Table) (*formula.Formula, error) {
	k := t.ID + "\x00" + text
	if c, ok := e.formulas.Load(k); ok && c.(compiledFormula).t == t {
		return c.(compiledFormula).fm, nil
	}
	fm, err := formula.Compile(text, t)
	if err == nil {
		e.formulas.Store(k, compiledFormula{t, fm})
	}
	return fm, err
}

// saveEdits saves what an approver or filler changed on the record as they act, through the
// records engine as them with their task's grant (see holder), only in the fields their node
// lets them edit.
func (e *Engine) saveEdits(ctx context.Context, tx *sql.Tx, in *instance, n *Node, values map[string]any) error {
	input := records.Input{}
	for ref, v := range values {
		f := in.table.Field(ref)
		if f == nil {
			return problem.NotFound("field", ref)
		}
		if perm := n.Fields[f.ID]; perm != FieldEdit && n.Fields[f.Name] != FieldEdit {
			return problem.Invalid("flow_field_not_editable", "node", n.Name).OnField(f.Name)
		}
		input[f.ID] = v
	}
	whole, _, err := e.record(ctx, in) // the nodes after this one judge the whole record, not what the approver sees of it
	if err != nil {
		return err
	}
	a := e.grant(ctx, in.actor, in.table, in.flow, in.version, in.record, n.ID, true)
	rec, err := e.Records.UpdateTx(ctx, tx, a, in.table, in.record, input)
	if err != nil {
		return err
	}
	maps.Copy(whole, rec)
	return nil
}

func init() {
	for code, m := range map[string][2]string{
		"flow_data_empty":         {"数据操作「{node}」没有设置要写入的字段", "data node \"{node}\" writes no field"},
		"flow_data_table":         {"数据操作「{node}」的表「{table}」不存在", "data node \"{node}\": the table \"{table}\" does not exist"},
		"flow_data_op":            {"数据操作「{node}」的操作 {op} 无效，可选 新增记录、更新本记录", "data node \"{node}\": {op} is not create or update"},
		"flow_data_formula":       {"数据操作「{node}」中字段「{field}」的公式 {formula} 有误", "data node \"{node}\": the formula {formula} of \"{field}\" is wrong"},
		"flow_data_value":         {"数据操作「{node}」中字段「{field}」的值不符合字段类型", "data node \"{node}\": the value of \"{field}\" does not fit the field"},
		"flow_fill_no_fields":     {"填写节点「{node}」没有可填写的字段", "fill-in node \"{node}\" has no field to fill in"},
		"flow_field_not_editable": {"节点「{node}」不允许修改这个字段", "node \"{node}\" does not let you change this field"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}

package reports

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Limits of a definition.
const (
	maxDimensions = 2
	maxMeasures   = 10
	maxColumns    = 30
	MaxLimit      = 1000 // top-N
	maxTitle      = 100
)

// ref is a resolved field reference: a field of the chart's table, or (Link set) a field of
// the table that Link points to.
type ref struct {
	Link  *schema.Field // the link field of the chart's table, or nil
	Field *schema.Field
}

// id is the stored form of the reference: "fld…" or "fldLink.fldTarget".
func (r ref) id() string {
	if r.Link != nil {
		return r.Link.ID + "." + r.Field.ID
	}
	return r.Field.ID
}

// name is the display form: "地区" or "客户.地区".
func (r ref) name() string {
	if r.Link != nil {
		return r.Link.Name + "." + r.Field.Name
	}
	return r.Field.Name
}

// plan is a chart resolved against the catalog: what its query is built from.
type plan struct {
	c        *Chart
	t        *schema.Table
	dims     []dimPlan
	measures []measPlan
	columns  []ref // detail table
	dateF    *schema.Field
	regionF  *schema.Field
}

type dimPlan struct {
	ref    ref
	bucket string
	label  string
}

type measPlan struct {
	agg     string
	ref     ref // zero for count and formula
	formula *formula
	name    string
}

// catalog is what resolving needs of the schema catalog.
type catalog interface {
	Table(ref string) (*schema.Table, error)
}

func invalid(path, code string, kv ...any) *problem.Error {
	return problem.Invalid(code, kv...).At(path)
}

// checkTitle checks a chart's title, which saving needs (a preview does not).
func checkTitle(c *Chart) error {
	c.Title = strings.TrimSpace(c.Title)
	if n := len([]rune(c.Title)); n == 0 || n > maxTitle {
		return invalid("title", "report_title", "max", maxTitle)
	}
	return nil
}

// resolve checks c against the catalog and returns its plan. Errors are 400 problems with
// the path of the offending part, e.g. measures[1].field. The title is not checked here:
// an unsaved chart may have none.
func resolve(cat catalog, c *Chart) (*plan, error) {
	if !slices.Contains(chartTypes, c.Type) {
		return nil, invalid("type", "report_bad_value", "value", c.Type, "allowed", strings.Join(chartTypes, ", "))
	}
	t, err := cat.Table(c.Table)
	if err != nil {
		return nil, problem.Invalid("report_table_gone", "name", c.Table).At("table")
	}
	p := &plan{c: c, t: t}
	if err := p.resolveShape(cat); err != nil {
		return nil, err
	}
	if err := cond.Check(c.Filter, t); err != nil {
		if pe := problem.As(err); pe != nil {
			pe.Path = join("filter", pe.Path)
			return nil, pe
		}
		return nil, err
	}
	switch c.Sort {
	case "", "value", "-value", "label", "-label":
	default:
		return nil, invalid("sort", "report_bad_value", "value", c.Sort, "allowed", "value, -value, label, -label")
	}
	if len(c.Order) > maxGroups {
		return nil, invalid("order", "too_large", "max", maxGroups)
	}
	for i, v := range c.Order {
		if v == "" || len(v) > 1000 {
			return nil, invalid(fmt.Sprintf("order[%d]", i), "report_bad_value", "value", v, "allowed", "a category")
		}
	}
	if c.Limit < 0 || c.Limit > MaxLimit {
		return nil, invalid("limit", "too_large", "max", MaxLimit)
	}
	if c.Compare != "" && !slices.Contains([]string{Day, Week, Month, Quarter, Year}, c.Compare) {
		return nil, invalid("compare", "report_bad_value", "value", c.Compare, "allowed", "day, week, month, quarter, year")
	}
	if err := p.resolveFilterFields(); err != nil {
		return nil, err
	}
	if c.Compare != "" && p.dateF == nil {
		return nil, invalid("dateField", "report_need_date")
	}
	if a := c.Alert; a != nil {
		if !slices.Contains([]string{"gt", "gte", "lt", "lte", "eq"}, a.Op) {
			return nil, invalid("alert.op", "report_bad_value", "value", a.Op, "allowed", "gt, gte, lt, lte, eq")
		}
		if c.Type != Indicator && c.Type != Gauge {
			return nil, invalid("alert", "report_alert_type")
		}
		for i, n := range a.Notify {
			if _, err := notifyTarget(n); err != nil {
				return nil, invalid(fmt.Sprintf("alert.notify[%d]", i), "report_bad_value", "value", string(n), "allowed", "user id, \"owner\", \"admin\"")
			}
		}
	}
	return p, nil
}

// resolveShape checks the dimensions, measures and columns the chart type needs.
func (p *plan) resolveShape(cat catalog) error {
	c := p.c
	minDims, maxDims, minMeas := 0, 0, 1
	switch c.Type {
	case Bar, Line, Area, Pivot:
		minDims, maxDims = 1, 2
	case Pie, Funnel, Map:
		minDims, maxDims = 1, 1
	case Scatter:
		minDims, maxDims, minMeas = 1, 1, 2
	case Detail, RFM:
		minMeas = 0
	case Migration:
		minDims, maxDims, minMeas = 1, 1, 0
	}
	if len(c.Dimensions) < minDims || len(c.Dimensions) > maxDims {
		return invalid("dimensions", "report_dimensions", "min", minDims, "max", maxDims)
	}
	if len(c.Measures) == 0 && minMeas == 1 {
		c.Measures = []Measure{{Agg: Count}}
	}
	if len(c.Measures) < minMeas || len(c.Measures) > maxMeasures {
		return invalid("measures", "report_measures", "min", max(minMeas, 1), "max", maxMeasures)
	}
	for i := range c.Dimensions {
		d, err := p.resolveDim(cat, i)
		if err != nil {
			return err
		}
		p.dims = append(p.dims, d)
	}
	if err := p.resolveMeasures(cat); err != nil {
		return err
	}
	switch c.Type {
	case Detail:
		if len(c.Columns) == 0 || len(c.Columns) > maxColumns {
			return invalid("columns", "report_measures", "min", 1, "max", maxColumns)
		}
		for i, name := range c.Columns {
			r, err := p.field(cat, name, fmt.Sprintf("columns[%d]", i))
			if err != nil {
				return err
			}
			if r.Link != nil {
				return invalid(fmt.Sprintf("columns[%d]", i), "report_own_field")
			}
			p.columns = append(p.columns, r)
			c.Columns[i] = r.id()
		}
	case Migration:
		d := p.dims[0]
		if d.ref.Link != nil || d.ref.Field.Type != schema.Select {
			return invalid("dimensions[0].field", "report_migration_field")
		}
	}
	return nil
}

// field resolves a field reference of the chart's table, or "link.field" through a link.
func (p *plan) field(cat catalog, name, path string) (ref, error) {
	gone := func() (ref, error) {
		return ref{}, problem.Invalid("report_field_gone", "name", name).At(path)
	}
	if f := p.t.Field(name); f != nil {
		if f.Type == schema.Link {
			// A link groups by the linked record's title.
			target, err := cat.Table(f.LinkTable)
			if err != nil {
				return gone()
			}
			return ref{Link: f, Field: target.Title()}, nil
		}
		return ref{Field: f}, nil
	}
	linkName, fieldName, ok := strings.Cut(name, ".")
	if !ok {
		return gone()
	}
	link := p.t.Field(linkName)
	if link == nil || link.Type != schema.Link {
		return gone()
	}
	target, err := cat.Table(link.LinkTable)
	if err != nil {
		return gone()
	}
	f := target.Field(fieldName)
	if f == nil || f.Type == schema.Link {
		return gone()
	}
	return ref{Link: link, Field: f}, nil
}

func (p *plan) resolveDim(cat catalog, i int) (dimPlan, error) {
	d := &p.c.Dimensions[i]
	path := fmt.Sprintf("dimensions[%d]", i)
	r, err := p.field(cat, d.Field, path+".field")
	if err != nil {
		if d.Label != "" {
			err.(*problem.Error).Params["name"] = d.Label
		}
		return dimPlan{}, err
	}
	ty := r.Field.Type
	if ty.IsList() {
		return dimPlan{}, invalid(path+".field", "report_bad_dimension", "type", string(ty))
	}
	switch {
	case ty.IsTime():
		if d.Bucket == "" {
			d.Bucket = Month
		}
		if !slices.Contains([]string{Day, Week, Month, Quarter, Year}, d.Bucket) {
			return dimPlan{}, invalid(path+".bucket", "report_bad_value", "value", d.Bucket, "allowed", "day, week, month, quarter, year")
		}
	case d.Bucket == Province && (ty == schema.Text || ty == schema.Select || ty == schema.Address):
	case d.Bucket == City && ty == schema.Address:
	case d.Bucket == "" && p.c.Type == Map && (ty == schema.Text || ty == schema.Select || ty == schema.Address):
		d.Bucket = Province
	case d.Bucket != "":
		return dimPlan{}, invalid(path+".bucket", "report_bad_bucket", "type", string(ty))
	}
	if p.c.Type == Map && d.Bucket != Province {
		return dimPlan{}, invalid(path+".field", "report_map_field")
	}
	d.Field, d.Label = r.id(), r.name()
	return dimPlan{ref: r, bucket: d.Bucket, label: r.name()}, nil
}

func (p *plan) resolveMeasures(cat catalog) error {
	names := map[string]bool{}
	for i := range p.c.Measures {
		m := &p.c.Measures[i]
		path := fmt.Sprintf("measures[%d]", i)
		if !slices.Contains(aggs, m.Agg) {
			return invalid(path+".agg", "report_bad_value", "value", m.Agg, "allowed", strings.Join(aggs, ", "))
		}
		mp := measPlan{agg: m.Agg}
		switch m.Agg {
		case Count:
			m.Field = ""
		case Formula:
			f, err := parseFormula(m.Formula)
			if err != nil {
				return invalid(path+".formula", "report_bad_formula", "reason", err.Error())
			}
			mp.formula = f
		default:
			r, err := p.field(cat, m.Field, path+".field")
			if err != nil {
				if m.Label != "" {
					err.(*problem.Error).Params["name"] = m.Label
				}
				return err
			}
			ty := r.Field.Type
			ok := m.Agg == Distinct || ty.IsNumeric()
			if !ok || ty.IsList() {
				return invalid(path+".field", "report_bad_agg", "agg", m.Agg, "type", string(ty))
			}
			mp.ref = r
			m.Field, m.Label = r.id(), r.name()
		}
		if strings.TrimSpace(m.Name) == "" {
			m.Name = defaultName(m)
		}
		m.Name = strings.TrimSpace(m.Name)
		if strings.ContainsAny(m.Name, measureNameSigns) {
			return invalid(path+".name", "report_measure_name", "name", m.Name)
		}
		if names[m.Name] {
			return invalid(path+".name", "duplicate_name", "name", m.Name)
		}
		names[m.Name] = true
		mp.name = m.Name
		p.measures = append(p.measures, mp)
	}
	for i, mp := range p.measures {
		if mp.formula == nil {
			continue
		}
		var bad string
		mp.formula.names(func(n string) {
			j := slices.IndexFunc(p.measures, func(o measPlan) bool { return o.name == n })
			if bad == "" && (j < 0 || p.measures[j].formula != nil) {
				bad = n
			}
		})
		if bad != "" {
			return invalid(fmt.Sprintf("measures[%d].formula", i), "report_formula_name", "name", bad)
		}
	}
	return nil
}

// defaultName names a measure after what it computes, e.g. 累计消费金额合计.
func defaultName(m *Measure) string {
	suffix := map[string]string{Distinct: "去重数", Sum: "合计", Avg: "平均", Min: "最小", Max: "最大"}
	switch m.Agg {
	case Count:
		return "记录数"
	case Formula:
		return "公式"
	}
	return strings.ReplaceAll(m.Label, ".", "的") + suffix[m.Agg]
}

// resolveFilterFields finds the fields the dashboard's date range and 地区 filter apply to.
func (p *plan) resolveFilterFields() error {
	c := p.c
	if c.DateField != "" {
		f := p.t.Field(c.DateField)
		if f == nil || !f.Type.IsTime() {
			return invalid("dateField", "report_need_date")
		}
		p.dateF, c.DateField = f, f.ID
	} else {
		for _, d := range p.dims {
			if d.ref.Link == nil && d.ref.Field.Type.IsTime() {
				p.dateF = d.ref.Field
				break
			}
		}
		if p.dateF == nil {
			p.dateF = p.t.Field(schema.FieldCreatedAt)
		}
	}
	if c.RegionField != "" {
		f := p.t.Field(c.RegionField)
		if f == nil || !(f.Type == schema.Text || f.Type == schema.Select) {
			return invalid("regionField", "report_map_field")
		}
		p.regionF, c.RegionField = f, f.ID
	} else if f := p.t.Field("地区"); f != nil && (f.Type == schema.Text || f.Type == schema.Select) {
		p.regionF = f
	}
	return nil
}

// notifyTarget reads one entry of Alert.Notify: a user id, "owner" or "admin".
func notifyTarget(raw json.RawMessage) (any, error) {
	var id int64
	if json.Unmarshal(raw, &id) == nil && id > 0 {
		return id, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && (s == "owner" || s == "admin") {
		return s, nil
	}
	return nil, fmt.Errorf("bad notify target")
}

// idsInFilter rewrites the field names of a condition to field ids, so a saved chart
// survives renames.
func idsInFilter(n *cond.Node, t *schema.Table) {
	if n == nil {
		return
	}
	if f := t.Field(n.Field); f != nil {
		n.Field = f.ID
	}
	for _, k := range n.And {
		idsInFilter(k, t)
	}
	for _, k := range n.Or {
		idsInFilter(k, t)
	}
	idsInFilter(n.Not, t)
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	if strings.HasPrefix(b, "[") {
		return a + b
	}
	return a + "." + b
}

// measureNameSigns are what a measure's name cannot hold: a formula measure names the others
// between these signs.
const measureNameSigns = "+-*/()×÷−（） \t"

func init() {
	problem.AddTerm("dashboard", "看板", "dashboard")
	problem.AddTerm("chart", "图表", "chart")
	problem.AddMessage("report_measure_name", "指标名称「{name}」不能含有空格、括号或 + - * / 等运算符号（公式指标用名称引用它）", "the measure name \"{name}\" cannot hold spaces, brackets or + - * / (formula measures refer to it by name)")
	problem.AddMessage("report_title", "请填写图表标题（不超过 {max} 个字），保存后它显示在看板上和导出的图片中", "give the chart a title (at most {max} characters): the dashboard and its exported pictures show it")
	problem.AddMessage("report_bad_value", "「{value}」无效，可选：{allowed}", "\"{value}\" is not valid; use one of: {allowed}")
	problem.AddMessage("report_table_gone", "图表的数据表「{name}」不存在或已被删除，请编辑图表重新选择数据表", "the chart's table \"{name}\" does not exist or was deleted; edit the chart and choose a table")
	problem.AddMessage("report_field_gone", "图表使用的字段「{name}」不存在或已被删除，请编辑图表重新选择字段", "the field \"{name}\" used by the chart does not exist or was deleted; edit the chart and choose another field")
	problem.AddMessage("report_dimensions", "此图表类型需要 {min} 到 {max} 个维度", "this chart type needs {min} to {max} dimensions")
	problem.AddMessage("report_measures", "需要 {min} 到 {max} 项", "needs {min} to {max} items")
	problem.AddMessage("report_bad_dimension", "{type} 类型的字段不能作为维度", "a field of type {type} cannot be a dimension")
	problem.AddMessage("report_bad_bucket", "{type} 类型的字段不能按日期、省份或城市分组", "a field of type {type} cannot be grouped by date, province or city")
	problem.AddMessage("report_map_field", "地图需要按省份分组的地区字段（单行文本、单选或地址）", "a map needs a region field (text, single select or address) grouped by province")
	problem.AddMessage("report_bad_agg", "「{agg}」不适用于 {type} 类型的字段", "\"{agg}\" does not fit a field of type {type}")
	problem.AddMessage("report_bad_formula", "公式无效：{reason}", "the formula is invalid: {reason}")
	problem.AddMessage("report_formula_name", "公式中的「{name}」不是本图表的指标名称", "\"{name}\" in the formula is not the name of one of the chart's measures")
	problem.AddMessage("report_own_field", "只能选择本表的字段", "choose a field of the chart's own table")
	problem.AddMessage("report_need_date", "请选择一个日期字段", "choose a date field")
	problem.AddMessage("report_alert_type", "只有指标卡和仪表盘可以设置预警", "only indicator and gauge charts can have an alert")
	problem.AddMessage("report_rfm_missing", "表「{table}」还没有 R分、F分、M分，请先运行 RFM 模型", "table \"{table}\" has no R分, F分 and M分 yet; run the RFM model first")
	problem.AddMessage("report_migration_field", "等级迁移图需要一个单选的分级字段，如 客户等级", "a tier migration chart needs a single-select graded field such as 客户等级")
}

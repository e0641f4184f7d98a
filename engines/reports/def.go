// Package reports is the report engine: dashboards of charts over any table. A chart is a
// definition (source table, dimensions, measures, a filter in the shared condition language,
// sort and top-N) stored as metadata; its data is one aggregate SQL query with the viewer's
// access scope ANDed in, cached until the database changes. Indicator charts may carry a
// threshold alert. The engine knows nothing of HTTP.
package reports

import (
	"encoding/json"

	"tierbase/core/cond"
)

// Chart types.
const (
	Indicator = "indicator" // one number, with the change against the previous period
	Bar       = "bar"       // bars per category; a second dimension makes series (stack them with Stack)
	Line      = "line"
	Area      = "area"
	Pie       = "pie" // Donut makes it a ring
	Funnel    = "funnel"
	Map       = "map"   // China by province: the dimension is a 地区 field with bucket "province"
	Pivot     = "pivot" // rows × columns table of the measures
	Detail    = "table" // the records themselves (Columns), newest first
	Scatter   = "scatter"
	Gauge     = "gauge"
	RFM       = "rfm"       // R分 × F分 heat map, with the average M分
	Migration = "migration" // tier moves from → to by month, from the tier history
)

// chartTypes are the types in the order the editor offers them.
var chartTypes = []string{Indicator, Bar, Line, Area, Pie, Funnel, Map, Pivot, Detail, Scatter, Gauge, RFM, Migration}

// Date buckets of a date dimension, and the province bucket of a 地区 dimension.
const (
	Day      = "day"
	Week     = "week" // weeks start on Monday; the label is the Monday
	Month    = "month"
	Quarter  = "quarter"
	Year     = "year"
	Province = "province" // the part before "/" of values such as 广东/深圳
	City     = "city"     // the province and city of a 地址: 广东省/深圳市 of 广东省/深圳市/南山区/…
)

// Aggregations of a measure.
const (
	Count    = "count"    // records
	Distinct = "distinct" // distinct values of Field
	Sum      = "sum"
	Avg      = "avg"
	Min      = "min"
	Max      = "max"
	Formula  = "formula" // arithmetic over the other measures' names, e.g. 赢单数 / 商机数
)

var aggs = []string{Count, Distinct, Sum, Avg, Min, Max, Formula}

// Chart is a chart definition. Fields are referred to by id or name on input and by id once
// saved; a field of a linked table is "link field.field", e.g. 客户.地区 on 订单.
type Chart struct {
	ID         string      `json:"id"`
	Dashboard  string      `json:"dashboard"`
	Title      string      `json:"title"`
	Type       string      `json:"type"`
	Table      string      `json:"table"`
	Dimensions []Dimension `json:"dimensions,omitempty"`
	Measures   []Measure   `json:"measures,omitempty"`
	Filter     *cond.Node  `json:"filter,omitempty"`
	// Sort orders the categories: "value" (largest first, the default), "-value", "label"
	// (ascending, the default for dates), "-label".
	Sort string `json:"sort,omitempty"`
	// Order lists categories of the first dimension in the order they are drawn, before the
	// others (which follow Sort): a funnel's stages. A funnel over a single select without it
	// follows the select's options.
	Order   []string `json:"order,omitempty"`
	Limit   int      `json:"limit,omitempty"`   // top-N categories; the rest are summed as 其他
	Stack   bool     `json:"stack,omitempty"`   // bar, line, area: stack the series
	Donut   bool     `json:"donut,omitempty"`   // pie as a ring
	Columns []string `json:"columns,omitempty"` // detail table: the fields shown
	// Compare (indicator): the period whose value is shown against the one before it
	// (day, week, month, quarter, year), by DateField.
	Compare string `json:"compare,omitempty"`
	// DateField is the date the dashboard's date range (and Compare) applies to; by default
	// the date dimension, else 创建时间.
	DateField string `json:"dateField,omitempty"`
	// RegionField is the field the dashboard's 地区 filter applies to; by default a field
	// named 地区, else none (the filter then does not apply to the chart).
	RegionField string  `json:"regionField,omitempty"`
	Max         float64 `json:"max,omitempty"`   // gauge: the end of the scale
	Alert       *Alert  `json:"alert,omitempty"` // indicator: threshold alert
	CreatedBy   int64   `json:"createdBy,omitempty"`
	Version     int     `json:"version"` // bumped on each save: part of the cache key
}

// Dimension groups the records by a field; dates are bucketed (Bucket), 地区 may be bucketed
// by province, 地址 by province or city. Label is the field's name when saved, so a message can name a deleted field.
type Dimension struct {
	Field  string `json:"field"`
	Bucket string `json:"bucket,omitempty"`
	Label  string `json:"label,omitempty"`
}

// Measure is one aggregate: Agg over Field (none for count), or a Formula over the other
// measures' names. Name is how the chart and formulas call it (default: a generated label).
type Measure struct {
	Name    string `json:"name,omitempty"`
	Agg     string `json:"agg"`
	Field   string `json:"field,omitempty"`
	Formula string `json:"formula,omitempty"`
	Label   string `json:"label,omitempty"` // the field's name when saved
}

// Alert notifies people when an indicator's value crosses a threshold, e.g. 流失预警客户数 > 100.
type Alert struct {
	Op    string  `json:"op"` // gt, gte, lt, lte, eq
	Value float64 `json:"value"`
	// Notify: user ids, or "owner" (the chart's creator) or "admin" (every admin).
	Notify []json.RawMessage `json:"notify,omitempty"`
}

// Dashboard is a named board of charts laid out on a 12-column grid.
type Dashboard struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Layout  []LayoutItem `json:"layout"`
	Refresh int          `json:"refresh,omitempty"` // auto-refresh every N seconds, 0 = off
	Charts  []*Chart     `json:"charts,omitempty"`  // in answers only
}

// LayoutItem places a chart on the dashboard's grid (x, w in 12ths of the width; y, h in rows).
type LayoutItem struct {
	Chart string `json:"i"`
	X     int    `json:"x"`
	Y     int    `json:"y"`
	W     int    `json:"w"`
	H     int    `json:"h"`
}

// Filters are the dashboard-wide filters, applied to every chart on top of its own filter.
type Filters struct {
	From    string   `json:"from,omitempty"` // date range on each chart's DateField, inclusive
	To      string   `json:"to,omitempty"`
	Owners  []int64  `json:"owners,omitempty"`  // 负责人
	Regions []string `json:"regions,omitempty"` // 地区 (provinces)
}

// Result is a chart's data: the aggregated series, or for a detail table the records.
type Result struct {
	Chart      string   `json:"chart"`
	Type       string   `json:"type"`
	Table      string   `json:"table"`      // table id: drill-down lists its records
	Dimensions []string `json:"dimensions"` // labels
	Measures   []string `json:"measures"`
	// Formats tells how each measure reads: "count" (whole numbers), "money" (yuan: sums,
	// averages… of an amount, or a formula over one), "percent", or "" (a plain number).
	Formats []string `json:"formats"`
	Rows    []Row    `json:"rows"`
	Capped  bool     `json:"capped,omitempty"` // categories beyond the top-N were summed as 其他
	// Indicator: the current value, the previous period's, and the relative change.
	Value    *float64 `json:"value,omitempty"`
	Previous *float64 `json:"previous,omitempty"`
	Change   *float64 `json:"change,omitempty"`
	Max      float64  `json:"max,omitempty"`      // gauge
	Alerting bool     `json:"alerting,omitempty"` // the alert's threshold is crossed
	// Names maps user ids to names for the dimensions (or detail columns) listed in UserKeys,
	// which are user fields such as 负责人.
	Names    map[string]string `json:"names,omitempty"`
	UserKeys []int             `json:"userKeys,omitempty"`
	// DepartmentNames maps department ids to names for the dimensions (or detail columns)
	// listed in DepartmentKeys, which are 部门 fields.
	DepartmentNames map[string]string `json:"departmentNames,omitempty"`
	DepartmentKeys  []int             `json:"departmentKeys,omitempty"`
	// Fields maps the field names the rows' filters use to the fields' ids.
	Fields   map[string]string `json:"fields,omitempty"`
	Computed string            `json:"computed"` // when the data was computed (RFC3339)
}

// Row is one category: the dimension values (nil = empty) and the measures (nil = none).
// Filter, when set, is the condition on the chart's table that lists the row's records; it
// names fields by name (Result.Fields has their ids).
type Row struct {
	Keys   []any      `json:"keys"`
	Values []*float64 `json:"values"`
	Filter *cond.Node `json:"filter,omitempty"`
}

// Other is the label of the categories beyond the top-N.
const Other = "其他"

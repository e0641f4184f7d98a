package importer

import (
	"regexp"
	"slices"
	"strings"

	"tierbase/core/divisions"
	"tierbase/core/schema"
)

// Column describes one file column as the importer sees it: its name, the field type its
// values fit best, and for low-cardinality columns the distinct values (select options).
type Column struct {
	Name    string      `json:"name"`
	Type    schema.Type `json:"type"`
	Options []string    `json:"options,omitempty"`
	Samples []string    `json:"samples,omitempty"` // a few non-empty values, for the preview
}

// maxOptions is the most distinct values a column may have to be offered as 单选.
const maxOptions = 20

// profile accumulates what one column's values could be.
type profile struct {
	name                                   string
	filled                                 int
	number, money, percent, date, datetime bool
	phone, landline, email, checkbox       bool
	address                                bool
	distinct                               map[string]int
	samples                                []string
}

func newProfile(name string) *profile {
	return &profile{name: name, number: true, money: true, percent: true, date: true, datetime: true,
		phone: true, landline: true, address: true, email: true, checkbox: true, distinct: map[string]int{}}
}

var (
	emailRe    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	moneyRe    = regexp.MustCompile(`[¥￥元]|^-?[\d,]+\.\d{2}$|万`)
	moneyWords = []string{"金额", "额", "价", "费", "收入", "成本", "消费", "款"}
)

func (p *profile) add(v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	p.filled++
	if len(p.samples) < 3 {
		p.samples = append(p.samples, v)
	}
	p.addOption(v)
	if p.number || p.money || p.percent {
		_, ok := schema.ParseNumber(v)
		p.number = p.number && ok && !strings.HasSuffix(v, "%")
		p.percent = p.percent && ok && strings.HasSuffix(v, "%")
		p.money = p.money && ok && !strings.HasSuffix(v, "%")
	}
	if p.date || p.datetime {
		hasTime := strings.Contains(v, ":") || strings.Contains(v, "时")
		separated := strings.ContainsAny(v, "-/.年")
		if hasTime {
			p.date = false
			_, tok := schema.ParseDateTime(v, nil)
			p.datetime = p.datetime && tok && separated
		} else {
			_, dok := schema.ParseDate(v, nil)
			p.date = p.date && dok && (separated || len(v) == 8)
			p.datetime = p.datetime && dok && separated
		}
	}
	if p.phone {
		_, ok := schema.ParsePhone(v)
		p.phone = ok
	}
	if p.landline {
		// written as a phone number: with separators, 转 or a leading 0, not as a plain number
		_, ok := schema.ParseLandline(v)
		p.landline = ok && (v[0] == '0' || strings.Trim(v, "0123456789") != "")
	}
	if p.address {
		_, bad := divisions.China.Parse(v)
		p.address = bad == nil
	}
	if p.email {
		p.email = emailRe.MatchString(v)
	}
	if p.checkbox {
		_, ok := schema.ParseBool(v)
		_, isNum := schema.ParseNumber(v)
		p.checkbox = ok && !isNum
	}
}

// addOption counts v among the column's distinct values, until there are too many.
func (p *profile) addOption(v string) {
	if p.distinct == nil || v == "" {
		return
	}
	p.distinct[strings.TrimSpace(v)]++
	if len(p.distinct) > maxOptions {
		p.distinct = nil
	}
}

// column decides the type: the most specific kind every value fits.
func (p *profile) column(rows int) Column {
	c := Column{Name: p.name, Type: schema.Text, Samples: p.samples}
	anyWord := func(words []string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(p.name, w) })
	}
	moneyLook := 0
	for v := range p.distinct {
		if moneyRe.MatchString(v) {
			moneyLook++
		}
	}
	switch {
	case p.filled == 0:
	case p.phone:
		c.Type = schema.Phone
	case p.landline:
		c.Type = schema.Landline
	case p.address:
		c.Type = schema.Address
	case p.email:
		c.Type = schema.Email
	case p.checkbox:
		c.Type = schema.Checkbox
	case p.percent:
		c.Type = schema.Percent
	case p.money && (anyWord(moneyWords) || moneyLook > 0):
		c.Type = schema.Money
	case p.number:
		c.Type = schema.Number
	case p.date:
		c.Type = schema.Date
	case p.datetime:
		c.Type = schema.DateTime
	case p.distinct != nil && len(p.distinct) <= maxOptions && p.filled >= 2*len(p.distinct) && rows >= 10:
		c.Type = schema.Select
		for v := range p.distinct {
			c.Options = append(c.Options, v)
		}
		slices.SortFunc(c.Options, func(a, b string) int { return p.distinct[b] - p.distinct[a] })
	}
	return c
}

// Infer reads every row of a file and proposes a field type per column: text, number, money,
// percent, date, datetime, phone, landline, address, email, checkbox, or select (at most 20 distinct values,
// each used at least twice on average). Only the first limit rows (0: all) decide the types;
// the rest are counted and add select options. It returns the columns and the number of rows.
func Infer(src Source, limit int) ([]Column, int, error) { return infer(src, limit, true) }

// Sample proposes field types from the first limit rows only, reading no further; with
// Plan.CreateTable the import then adds the select values the sample did not show.
func Sample(src Source, limit int) ([]Column, error) {
	cols, _, err := infer(src, limit, false)
	return cols, err
}

// infer profiles the first limit rows (0: all); with whole it reads on to the end, counting
// the rows and collecting select options.
func infer(src Source, limit int, whole bool) ([]Column, int, error) {
	header := src.Header()
	profiles := make([]*profile, len(header))
	for i, h := range header {
		profiles[i] = newProfile(h)
	}
	rows := 0
	for whole || rows < limit {
		row, err := src.Next()
		if isEOF(err) {
			break
		}
		if err != nil {
			return nil, rows, err
		}
		rows++
		if limit > 0 && rows > limit {
			// Past the sample only the options of would-be 单选 columns still grow.
			for i, v := range row {
				profiles[i].addOption(v)
			}
			continue
		}
		for i, v := range row {
			profiles[i].add(v)
		}
	}
	sampled := rows
	if limit > 0 && rows > limit {
		sampled = limit
	}
	cols := make([]Column, len(header))
	for i, p := range profiles {
		cols[i] = p.column(sampled)
	}
	return cols, rows, nil
}

// Fields turns inferred columns into the fields of a new table.
func Fields(cols []Column) []*schema.Field {
	out := make([]*schema.Field, len(cols))
	for i, c := range cols {
		f := &schema.Field{Name: c.Name, Type: c.Type}
		for _, o := range c.Options {
			f.Options = append(f.Options, schema.Option{Value: o})
		}
		out[i] = f
	}
	return out
}

// titleNames are column names that name a record (a customer, a company, a person), the most
// telling first, folded as normName does.
var titleNames = []string{"客户名称", "公司名称", "企业名称", "单位名称", "名称", "姓名", "客户姓名", "客户名", "公司",
	"客户", "联系人", "name", "fullname", "customername", "companyname", "company", "customer", "contact"}

// TitleColumn proposes the column that names the records of a table made from a file: the
// text column with the most telling name-like name (客户名称, 公司名称, 名称, 姓名, 联系人,
// name …), else the first text column whose name holds 名称, 姓名 or ends in "name". It returns
// -1 when none does; the table's first text field then names its records.
func TitleColumn(cols []Column) int {
	best, rank := -1, len(titleNames)
	for i, c := range cols {
		if c.Type != schema.Text {
			continue
		}
		if r := slices.Index(titleNames, normName(c.Name)); r >= 0 && r < rank {
			best, rank = i, r
		}
	}
	if best >= 0 {
		return best
	}
	for i, c := range cols {
		n := normName(c.Name)
		if c.Type == schema.Text && (strings.Contains(n, "名称") || strings.Contains(n, "姓名") || strings.HasSuffix(n, "name")) {
			return i
		}
	}
	return -1
}

// normName folds a column or field name for matching: no spaces or punctuation, lower case.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == ' ' || r == '_' || r == '-' || r == '　' || r == '(' || r == ')' || r == '（' || r == '）' || r == ':' || r == '：' || r == '*' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// aliases are column names Chinese spreadsheets use for the same thing.
var aliases = [][]string{
	{"联系电话", "联系方式", "电话", "手机", "手机号", "手机号码", "联系手机"},
	{"客户名称", "客户名", "公司名称", "企业名称", "客户"},
	{"累计消费金额", "消费金额", "累计金额", "总金额"},
	{"购买频率", "购买次数", "消费次数"},
	{"地区", "省份", "所在地区", "区域"},
	{"负责人", "销售", "跟进人", "客户经理"},
}

// Suggest maps each file column to a field of t by name: exact, then ignoring spaces and
// punctuation, then known aliases (联系方式 → 联系电话), and last a column named after a rollup
// with an opening value to that value (an Excel list's 累计消费金额 is its history) unless a
// column of its own fills it (a file exported from here has both). Unmatched columns map to "".
func Suggest(header []string, t *schema.Table) []string {
	out := make([]string, len(header))
	used := map[string]bool{}
	try := func(i int, f *schema.Field) bool {
		if f == nil || used[f.ID] || (f.System && f.ID != schema.FieldOwner) || f.IsComputed() || f.Type == schema.Subform || f.Type.IsFile() {
			return false
		}
		out[i], used[f.ID] = f.ID, true
		return true
	}
	for i, h := range header {
		try(i, t.Field(h))
	}
	for i, h := range header {
		if out[i] != "" {
			continue
		}
		for _, f := range t.Fields {
			if normName(f.Name) == normName(h) && try(i, f) {
				break
			}
		}
	}
	for i, h := range header {
		if out[i] != "" {
			continue
		}
		for _, group := range aliases {
			if !slices.Contains(group, normName(h)) {
				continue
			}
			for _, name := range group {
				if try(i, t.Field(name)) {
					break
				}
			}
		}
	}
	for i, h := range header {
		if f := t.Field(h); out[i] == "" && f != nil && f.Computed != nil && f.Computed.Base != "" {
			try(i, t.Field(f.Computed.Base))
		}
	}
	return out
}

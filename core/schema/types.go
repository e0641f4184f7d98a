// Package schema is the form engine's metadata: apps hold tables, tables hold typed fields.
// Each user table is a real SQL table with one column per field, created and altered by DDL
// inside a transaction. Fields are referred to by a stable id; names are for people.
package schema

import (
	"bytes"
	"encoding/json"

	"tierbase/platform/problem"
	"tierbase/platform/secret"
	"tierbase/platform/store"
)

// Type is a field type; its string is the API key (e.g. "money").
type Type string

// Field types. Comments give the Chinese name and the Go value a record holds for it
// (the "storage form" used by records, the condition language and the SQL column).
const (
	Text        Type = "text"        // 单行文本: string
	TextArea    Type = "textarea"    // 多行文本: string
	Number      Type = "number"      // 数字: float64
	Money       Type = "money"       // 金额: float64 (yuan)
	Percent     Type = "percent"     // 百分比: float64 (12% is 12)
	Date        Type = "date"        // 日期: string "2006-01-02"
	DateTime    Type = "datetime"    // 日期时间: string "2006-01-02T15:04:05Z" (UTC)
	Phone       Type = "phone"       // 手机: string of 11 digits
	Email       Type = "email"       // 邮箱: string
	URL         Type = "url"         // 网址: string
	Select      Type = "select"      // 单选: string (one of Options)
	MultiSelect Type = "multiselect" // 多选: []string (JSON array column)
	Checkbox    Type = "checkbox"    // 复选框: bool (INTEGER 0/1 column)
	Rating      Type = "rating"      // 等级: float64 holding a whole number 0..Max (default 5)
	User        Type = "user"        // 成员: int64 user id
	Tags        Type = "tags"        // 标签: []string (JSON array column), free values
	AutoNumber  Type = "autonumber"  // 自动编号: string made from Format, e.g. KH-{YYYYMMDD}-{0000}
	Link        Type = "link"        // 关联记录: int64 id of a record in Field.LinkTable
	Links       Type = "links"       // 多条关联: []int64 ids of records in Field.LinkTable, ascending (JSON array column)
	Department  Type = "department"  // 部门: int64 id of a department (package org)
	Landline    Type = "landline"    // 座机: string "0755-88888888-12" (area code, number, extension; see ParseLandline)
	Address     Type = "address"     // 地址: string "广东省/深圳市/南山区/科技园南区 88 号" (divisions.Data.Parse)
	RichText    Type = "richtext"    // 富文本: string of html under an allow-list (SanitizeHTML)
	File        Type = "file"        // 附件: string, a JSON list of FileRef (see files.go)
	Image       Type = "image"       // 图片: as File, images only
	Signature   Type = "signature"   // 签名: as File, one PNG drawn on a signature pad
	// 子表单: float64, how many rows it has; the rows are records of its own table (LinkTable,
	// see subform.go), which a records read puts in place of the count.
	Subform Type = "subform"
	// 数字列表: []float64 (JSON array column). Only the type of a lookup (他表字段) through a
	// 多条关联 showing a number field of every linked record; nobody types one.
	Numbers Type = "numbers"
)

// Types lists every type in the order the UI offers them.
var Types = []Type{Text, TextArea, RichText, Number, Money, Percent, Date, DateTime, Phone, Landline, Email, URL, Address,
	Select, MultiSelect, Checkbox, Rating, User, Department, Tags, AutoNumber, Link, Links, File, Image, Signature, Subform}

// Label returns the type's display name in lang ("zh" or "en").
func (t Type) Label(lang string) string {
	l, ok := typeLabels[t]
	if !ok {
		return string(t)
	}
	if lang == "en" {
		return l[1]
	}
	return l[0]
}

var typeLabels = map[Type][2]string{
	Text: {"单行文本", "Text"}, TextArea: {"多行文本", "Long text"}, Number: {"数字", "Number"},
	Money: {"金额", "Amount"}, Percent: {"百分比", "Percent"}, Date: {"日期", "Date"},
	DateTime: {"日期时间", "Date & time"}, Phone: {"手机", "Mobile"}, Email: {"邮箱", "Email"},
	URL: {"网址", "URL"}, Select: {"单选", "Single select"}, MultiSelect: {"多选", "Multi select"},
	Checkbox: {"复选框", "Checkbox"}, Rating: {"等级", "Rating"}, User: {"成员", "User"},
	Tags: {"标签", "Tags"}, AutoNumber: {"自动编号", "Auto number"}, Link: {"关联记录", "Link"},
	Links: {"多条关联", "Links"}, Department: {"部门", "Department"},
	Landline: {"座机", "Landline"}, Address: {"地址", "Address"}, RichText: {"富文本", "Rich text"},
	File: {"附件", "Attachment"}, Image: {"图片", "Image"}, Signature: {"签名", "Signature"}, Subform: {"子表单", "Sub-table"},
	Numbers: {"数字列表", "Numbers"},
}

func init() {
	for t, l := range typeLabels {
		problem.AddTerm(string(t), l[0], l[1])
	}
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool { _, ok := typeLabels[t]; return ok }

// IsNumeric reports whether values are float64 (number, money, percent, rating, and the row
// count of a sub-table).
func (t Type) IsNumeric() bool {
	return t == Number || t == Money || t == Percent || t == Rating || t == Subform
}

// IsText reports whether values are strings compared as text.
func (t Type) IsText() bool {
	switch t {
	case Text, TextArea, RichText, Phone, Landline, Email, URL, Address, Select, AutoNumber:
		return true
	}
	return false
}

// IsMulti reports whether values are []string stored as a JSON array.
func (t Type) IsMulti() bool { return t == MultiSelect || t == Tags }

// IsFile reports whether values are lists of uploaded files (附件, 图片, 签名).
func (t Type) IsFile() bool { return t == File || t == Image || t == Signature }

// IsList reports whether values are held as a JSON array (multi fields, 多条关联 and number
// lists).
func (t Type) IsList() bool { return t.IsMulti() || t == Links || t == Numbers }

// ListForm is the type of a lookup through a 多条关联 showing a field of type t of every
// linked record: t's list form (text → 标签, 单选 → 多选, numbers → 数字列表, 关联记录 →
// 多条关联), or false when t has none.
func (t Type) ListForm() (Type, bool) {
	switch t {
	case Text, TextArea, Phone, Email, URL, Landline, Address, AutoNumber, Date, Tags:
		return Tags, true
	case Select, MultiSelect:
		return MultiSelect, true
	case Number, Money, Percent, Rating:
		return Numbers, true
	case Link:
		return Links, true
	}
	return "", false
}

// IsTime reports whether values are dates or date-times.
func (t Type) IsTime() bool { return t == Date || t == DateTime }

// IsRef reports whether values are int64 ids (users, linked records or departments).
func (t Type) IsRef() bool { return t == User || t == Link || t == Department }

// Linked reports whether values are ids of records of Field.LinkTable (one or several).
func (t Type) Linked() bool { return t == Link || t == Links }

// SQLType is the column type of the field's values on database d.
func (t Type) SQLType(d store.Dialect) string {
	switch {
	case t.IsNumeric():
		return d.NumberType()
	case t == Checkbox, t.IsRef():
		return d.IntegerType()
	case t.IsList():
		return d.ListType()
	}
	return "TEXT"
}

// Option is one choice of a select or multiselect field.
type Option struct {
	Value string `json:"value"`
	Color string `json:"color,omitempty"`
}

// UnmarshalJSON reads an option given as {"value":"高价值客户","color":"#f56c6c"} or as
// plain text ("高价值客户"), so a list of options can be written ["高价值客户","普通客户"].
func (o *Option) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*o = Option{}
		return json.Unmarshal(b, &o.Value)
	}
	type plain Option
	var p plain
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &p) != nil {
		return problem.Invalid("bad_json_type", "expected", "json_option")
	}
	*o = Option(p)
	return nil
}

// System field ids. Every table has these columns besides its own fields.
const (
	FieldID        = "id"
	FieldCreatedBy = "created_by" // 创建人
	FieldCreatedAt = "created_at" // 创建时间
	FieldUpdatedAt = "updated_at" // 修改时间
	FieldOwner     = "owner"      // 负责人
)

// Field is one column of a table.
type Field struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Type      Type     `json:"type"`
	Required  bool     `json:"required,omitempty"`
	Unique    bool     `json:"unique,omitempty"`
	Indexed   bool     `json:"indexed,omitempty"`
	Default   any      `json:"default,omitempty"`
	Options   []Option `json:"options,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	Format    string   `json:"format,omitempty"`    // autonumber pattern, or a regex for text
	Help      string   `json:"help,omitempty"`      // help text shown under the input
	LinkTable string   `json:"linkTable,omitempty"` // target table id of a link field; a sub-table's own table
	// Fields are the fields of a new sub-table's rows, given when it is created (the catalog
	// makes its table of them); afterwards they are that table's fields.
	Fields   []*Field `json:"fields,omitempty"`
	System   bool     `json:"system,omitempty"` // id, 创建人, 创建时间, 修改时间, 负责人
	Position int      `json:"position"`
	// Sensitive (敏感) values are encrypted at rest, with a keyed hash beside them for
	// equality search (see sensitive.go).
	Sensitive bool `json:"sensitive,omitempty"`
	// Computed, if set, makes the field a formula, lookup or rollup (see computed.go).
	Computed *Computed `json:"computed,omitempty"`
	// MaxSize (bytes) and Accept (types, "image/" for all images) limit the uploads of a
	// 附件 or 图片 field; see FileLimits for the defaults.
	MaxSize int64    `json:"maxSize,omitempty"`
	Accept  []string `json:"accept,omitempty"`
	keys    *secret.Ring
}

// Column is the SQL column name of the field: its stable id, never its display name.
func (f *Field) Column() string { return f.ID }

// HasOption reports whether v is one of the field's options.
func (f *Field) HasOption(v string) bool {
	for _, o := range f.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// OptionValues returns the option values in order.
func (f *Field) OptionValues() []string {
	out := make([]string, len(f.Options))
	for i, o := range f.Options {
		out[i] = o.Value
	}
	return out
}

// Table is a user table: its metadata and its fields, system fields included, in display order.
type Table struct {
	ID         string   `json:"id"`
	AppID      string   `json:"appId"`
	Name       string   `json:"name"`
	TitleField string   `json:"titleField,omitempty"` // field id shown for a record in links
	Fields     []*Field `json:"fields"`
	Position   int      `json:"position"`
	// Dialect is the database the table lives in, for the SQL compiled against it (core/cond);
	// the catalog sets it.
	Dialect store.Dialect `json:"-"`
	// Parent is, for the table of a sub-table's rows, the table whose 子表单 field (ParentField)
	// holds them: it is not listed among the tables, and its rows are read and written only
	// through the parent's records (see subform.go).
	Parent       string `json:"parent,omitempty"`
	ParentField  string `json:"parentField,omitempty"`
	byID, byName map[string]*Field
	subs         []*Table // drafts of the tables of its new sub-tables' rows (CreateTableTx makes them)
}

// SQLName is the table's SQL name: its stable id.
func (t *Table) SQLName() string { return "t_" + t.ID }

// Field finds a field by id or by display name.
func (t *Table) Field(ref string) *Field {
	if t.byID == nil {
		t.index()
	}
	if f, ok := t.byID[ref]; ok {
		return f
	}
	return t.byName[ref]
}

func (t *Table) index() {
	t.byID = make(map[string]*Field, len(t.Fields))
	t.byName = make(map[string]*Field, len(t.Fields))
	for _, f := range t.Fields {
		t.byID[f.ID] = f
		t.byName[f.Name] = f
	}
}

// UserFields returns the fields that are not system fields.
func (t *Table) UserFields() []*Field {
	out := make([]*Field, 0, len(t.Fields))
	for _, f := range t.Fields {
		if !f.System {
			out = append(out, f)
		}
	}
	return out
}

// Title returns the field used to name a record: TitleField, else the first text field.
func (t *Table) Title() *Field {
	if f := t.Field(t.TitleField); f != nil && t.TitleField != "" {
		return f
	}
	for _, f := range t.Fields {
		if !f.System && (f.Type == Text || f.Type == AutoNumber) {
			return f
		}
	}
	return t.Field(FieldID)
}

// App groups tables, e.g. 客户管理.
type App struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Icon     string `json:"icon,omitempty"`
	Position int    `json:"position"`
}

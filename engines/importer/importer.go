// Package importer moves spreadsheets into tables: it proposes field types and a column →
// field mapping, then streams the rows through the fields' own validation into one write
// transaction — insert or upsert by a key — and reports every bad row (line, column, value,
// reason). By default a file with any bad row changes nothing; with SkipInvalid the good rows
// land and the bad ones are reported.
package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
	"tierbase/platform/store"
)

// Source is a file being read, row by row.
type Source = spreadsheet.Reader

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// Mode says what happens to rows whose key already exists.
type Mode string

// Modes.
const (
	Insert Mode = "insert" // every row becomes a new record
	Upsert Mode = "upsert" // rows whose key matches a record update it; the others are inserted
)

// Plan says how a file lands in a table.
type Plan struct {
	Columns     []string // per file column: a field id or name, or "" to skip the column
	Mode        Mode
	Key         string // the field that identifies a record (required for upsert)
	SkipInvalid bool   // import the good rows and report the bad ones, instead of nothing
	FileName    string // shown in the operation log
	// CreateTable says the table is a schema.Catalog.Draft made for this file: Run creates it
	// in the import's transaction, so the table and its rows land together or not at all.
	// Values of its 单选 fields that are not options yet become options (up to MaxOptions)
	// instead of being refused.
	CreateTable bool
	// Owner is the user who imports: 创建人 of the new records, and their 负责人 unless the
	// file has a 负责人 column (0: the actor's user).
	Owner int64
}

// MaxOptions bounds how many options CreateTable lets a field reach.
const MaxOptions = 500

// Problem is one bad cell or row.
type Problem struct {
	Line   int            // row number in the file, as a spreadsheet program shows it
	Column string         // the file's column name, "" for the whole row
	Value  string         // the cell as read
	Err    *problem.Error // why, renderable in zh or en
}

// Result counts what an import did (or, when it was refused, would have done).
type Result struct {
	Header    []string
	Read      int // data rows read
	Inserted  int
	Updated   int
	Unchanged int // upserted rows equal to the record already there
	Rejected  int // rows with a problem
	Problems  []Problem
	Rejects   []Reject // the rejected rows themselves, for the error report
	Committed bool
	Elapsed   time.Duration
}

// Reject is a rejected row as read from the file, with its reasons.
type Reject struct {
	Line    int
	Cells   []string
	Reasons []*problem.Error
}

// Limits on what a result keeps (the counts are always exact).
const (
	MaxProblems = 1000
	MaxRejects  = 10000
)

// Importer runs imports against a database.
type Importer struct {
	DB      *store.DB
	Catalog *schema.Catalog
	Users   *users.Service
	// Departments finds the departments 部门 cells name (package org).
	Departments records.Departments
	Now         func() time.Time
	Loc         *time.Location // zone of date-times written without one
	Hooks       []Hook         // engines acting on what an import wrote (the rule engine)
}

// Hook lets another engine act on the records an import wrote, set-wise, inside the
// import's transaction (so it rolls back with it): the rule engine grades them, applies
// its rules and queues their side effects as if the rows had been saved one by one.
type Hook interface {
	AfterImport(ctx context.Context, tx *sql.Tx, im *Imported) error
}

// Imported is what an import wrote.
type Imported struct {
	Table   *schema.Table
	By      int64              // the user who imported (0: the system)
	FirstID int64              // the inserted records have the ids FirstID…LastID
	LastID  int64              // (none when LastID < FirstID)
	Updated []int64            // the records an upsert changed, in file order
	Changed map[string][]int64 // field id → the updated records whose value of that field changed
}

// Inserted is how many records the import inserted.
func (im *Imported) Inserted() int64 { return max(0, im.LastID-im.FirstID+1) }

// ErrRejected is wrapped by the error Run returns when bad rows stopped an all-or-nothing import.
var ErrRejected = errors.New("import rejected")

// target is the resolved plan: which field each file column feeds.
type target struct {
	t        *schema.Table
	fields   []*schema.Field // per file column, nil if skipped
	key      int             // file column of the key, -1 if none
	numbers  []*schema.Field // autonumber fields not fed by the file
	owner    bool            // whether the file feeds 负责人
	required []*schema.Field // required fields the file does not feed and that have no default
}

func (im *Importer) resolve(t *schema.Table, header []string, plan Plan) (*target, error) {
	if len(plan.Columns) != len(header) {
		return nil, problem.Invalid("bad_param", "param", "columns", "reason",
			fmt.Sprintf("需要 %d 列的对应关系，收到 %d / expected %d, got %d", len(header), len(plan.Columns), len(header), len(plan.Columns)))
	}
	tg := &target{t: t, fields: make([]*schema.Field, len(header)), key: -1}
	used := map[string]int{}
	for i, ref := range plan.Columns {
		if ref == "" {
			continue
		}
		f := t.Field(ref)
		if f == nil {
			return nil, problem.Invalid("unknown_field", "table", t.Name, "name", ref).At(fmt.Sprintf("columns[%d]", i))
		}
		if f.System && f.ID != schema.FieldOwner {
			return nil, problem.Invalid("readonly_field").OnField(f.Name).At(fmt.Sprintf("columns[%d]", i))
		}
		if f.IsComputed() {
			return nil, schema.ComputedProblem(t, f).At(fmt.Sprintf("columns[%d]", i))
		}
		if f.Type == schema.Subform {
			return nil, problem.Invalid("import_subform").OnField(f.Name).At(fmt.Sprintf("columns[%d]", i))
		}
		if f.Type.IsFile() {
			return nil, problem.Invalid("import_files").OnField(f.Name).At(fmt.Sprintf("columns[%d]", i))
		}
		if j, dup := used[f.ID]; dup {
			return nil, problem.Invalid("import_twice", "first", header[j], "second", header[i]).OnField(f.Name)
		}
		used[f.ID] = i
		tg.fields[i] = f
		tg.owner = tg.owner || f.ID == schema.FieldOwner
	}
	if len(used) == 0 {
		return nil, problem.Invalid("import_nothing")
	}
	if plan.Mode == "" {
		plan.Mode = Insert
	}
	if plan.Mode != Insert && plan.Mode != Upsert {
		return nil, problem.Invalid("bad_option", "value", plan.Mode, "options", "insert、upsert").At("mode")
	}
	if plan.Key != "" || plan.Mode == Upsert {
		f := t.Field(plan.Key)
		if f == nil {
			return nil, problem.Invalid("import_need_key").At("key")
		}
		i, ok := used[f.ID]
		if !ok || f.Type.IsList() || f.Type == schema.Checkbox {
			return nil, problem.Invalid("import_bad_key", "name", f.Name).At("key")
		}
		tg.key = i
	}
	for _, f := range t.UserFields() {
		if _, fed := used[f.ID]; fed {
			continue
		}
		if f.Type == schema.AutoNumber {
			tg.numbers = append(tg.numbers, f)
		} else if f.Required && f.Default == nil {
			tg.required = append(tg.required, f)
		}
	}
	if len(tg.required) > 0 && plan.Mode == Insert {
		return nil, problem.Invalid("import_required", "name", tg.required[0].Name).OnField(tg.required[0].Name)
	}
	return tg, nil
}

// Check validates a plan for t and a file with the given header, without importing.
func (im *Importer) Check(t *schema.Table, header []string, plan Plan) error {
	_, err := im.resolve(t, header, plan)
	return err
}

// keyString is the comparable form of a key value.
func keyString(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// mayImport returns nil when the actor may import into t (the import action on t) or, for a
// new table, create tables.
func mayImport(a access.Actor, t *schema.Table, plan Plan) error {
	if plan.CreateTable {
		return a.MayChangeSchema()
	}
	return access.CanOn(a, t, access.ImportRows)
}

// Run imports src into t following plan, in one write transaction. progress, if not nil,
// is called now and then with the rows read so far. When bad rows stop the import, Run
// returns the result (with the problems) and an error wrapping ErrRejected.
func (im *Importer) Run(ctx context.Context, a access.Actor, t *schema.Table, src Source, plan Plan, progress func(read int)) (*Result, error) {
	if err := mayImport(a, t, plan); err != nil {
		return nil, err
	}
	start := time.Now()
	header := src.Header()
	tg, err := im.resolve(t, header, plan)
	if err != nil {
		return nil, err
	}
	res := &Result{Header: header}
	err = im.DB.Tx(ctx, func(tx *sql.Tx) error {
		if plan.CreateTable {
			if err := im.Catalog.CreateTableTx(ctx, tx, t); err != nil {
				return err
			}
		}
		r, err := im.newRun(ctx, tx, a, tg, plan, res)
		if err != nil {
			return err
		}
		defer r.insert.Close() // before the rollback, when the import stops early
		stop := make(chan struct{})
		defer close(stop)
		for b := range r.parseAll(src, stop) {
			for _, p := range b.rows {
				res.Read++
				if err := r.apply(p); err != nil {
					return err
				}
			}
			if b.err != nil {
				return b.err
			}
			if progress != nil {
				progress(res.Read)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if res.Rejected > 0 && !plan.SkipInvalid {
			res.Inserted, res.Updated, res.Unchanged = 0, 0, 0
			return fmt.Errorf("%w: %d", ErrRejected, res.Rejected)
		}
		return r.finish()
	})
	res.Elapsed = time.Since(start)
	if err == nil && plan.CreateTable {
		err = im.Catalog.Reload(ctx)
	}
	if progress != nil {
		progress(res.Read)
	}
	if err != nil {
		if errors.Is(err, ErrRejected) {
			return res, problem.Invalid("import_rejected", "count", res.Rejected, "read", res.Read)
		}
		return res, err
	}
	res.Committed = true
	return res, nil
}

// Error messages of the importer.
func init() {
	problem.AddMessage("import_twice", "「{first}」和「{second}」两列对应了同一个字段", "columns \"{first}\" and \"{second}\" both map to the same field")
	problem.AddMessage("import_files", "附件、图片和签名不能从表格导入（导出的是下载链接），请不要选这一列；文件在记录中上传，或通过 API 上传", "attachments, images and signatures cannot be imported from a spreadsheet (an export gives their download links); leave this column out, and upload the files in the record or through the API")
	problem.AddMessage("import_subform", "子表单的明细行不能从表格导入，请不要选这一列；明细可在记录中填写，或通过 API 随记录写入", "the rows of a sub-table cannot be imported from a spreadsheet; leave this column out, and fill the rows in the record or write them with the record through the API")
	problem.AddMessage("import_nothing", "没有任何列对应到字段，请至少选择一列", "no column is mapped to a field; map at least one")
	problem.AddMessage("import_need_key", "按关键字段更新时，请选择一个关键字段（如 客户编号）", "upsert needs a key field (such as a customer number)")
	problem.AddMessage("import_outside_scope", "关键字段的值对应的记录不在你可以修改的数据范围内，不能覆盖它；请删掉这一行或联系管理员", "the record with this key is outside the records you may change, so it cannot be overwritten; remove this row or ask an administrator")
	problem.AddMessage("import_bad_key", "「{name}」不能作为关键字段：它必须对应文件中的一列，且不能是多选或复选框", "\"{name}\" cannot be the key: it must be mapped from a column and not be a multi-value or checkbox field")
	problem.AddMessage("import_required", "必填字段「{name}」没有对应的列，请在对应关系中选择", "the required field \"{name}\" is not mapped from any column")
	problem.AddMessage("import_rejected", "导入未执行：{read} 行中有 {count} 行有错误，数据保持不变。请下载错误报告修改后重新导入，或选择“跳过错误行”", "nothing was imported: {count} of {read} rows have errors and the table is unchanged; fix them using the error report, or choose to skip invalid rows")
	problem.AddMessage("import_no_user", "找不到成员「{value}」：请填写成员的姓名或邮箱（在“成员管理”中查看）", "no user \"{value}\": give a user's name or email (see the user list)")
	problem.AddMessage("import_user_ambiguous", "有多个成员叫「{value}」：请改填其中一位的邮箱", "several users are called \"{value}\": give the email of the one you mean")
	problem.AddMessage("import_no_link", "找不到关联的记录「{value}」：请填写记录的标题（多条用“、”隔开），且你需有查看它的权限", "no linked record titled \"{value}\" that you may see: give the records' titles, separated by commas")
	problem.AddMessage("import_link_ambiguous", "有多条记录的标题是「{value}」：请先让它们的标题各不相同", "several records are titled \"{value}\": make their titles distinct first")
	problem.AddMessage("import_department_ambiguous", "有多个部门叫「{value}」：请填写完整路径，如 总部/销售部", "several departments are called \"{value}\": give the full path such as HQ/Sales")
	problem.AddMessage("import_duplicate_key", "关键字段的值「{value}」在文件第 {line} 行已出现过", "the key \"{value}\" already appeared in row {line} of the file")
}

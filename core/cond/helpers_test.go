package cond

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"tierbase/core/schema"
	"tierbase/platform/store"
)

// cst is the users' time zone in the tests (UTC+8, like Asia/Shanghai).
var cst = time.FixedZone("CST", 8*3600)

// testEnv is 2026-11-23 10:30 in cst (02:30 UTC), signed in as user 7, whose department 1
// holds users 7 and 9 and has user 8 in department 2 below it.
var testEnv = Env{Now: time.Date(2026, 11, 23, 10, 30, 0, 0, cst), Loc: cst, UserID: 7,
	MyDepartments: []int64{7, 9}, MySubDepartments: []int64{7, 8, 9}, Departments: []int64{1}, SubDepartments: []int64{1, 2}}

func options(vals ...string) []schema.Option {
	out := make([]schema.Option, len(vals))
	for i, v := range vals {
		out[i] = schema.Option{Value: v}
	}
	return out
}

// testTable has a field of every kind, system fields included.
func testTable() *schema.Table {
	return &schema.Table{ID: "cust", Name: "客户", Fields: []*schema.Field{
		{ID: "id", Name: "ID", Type: schema.Number, System: true},
		{ID: "name", Name: "客户名称", Type: schema.Text},
		{ID: "phone", Name: "手机", Type: schema.Phone},
		{ID: "level", Name: "客户等级", Type: schema.Select, Options: options("普通客户", "高价值客户", "流失客户")},
		{ID: "amount", Name: "累计消费金额", Type: schema.Money},
		{ID: "freq", Name: "购买频率", Type: schema.Number},
		{ID: "last", Name: "最近消费日", Type: schema.Date},
		{ID: "visit", Name: "最近拜访", Type: schema.DateTime},
		{ID: "tags", Name: "标签", Type: schema.Tags},
		{ID: "hobby", Name: "兴趣", Type: schema.MultiSelect, Options: options("阅读", "运动", "音乐")},
		{ID: "vip", Name: "VIP", Type: schema.Checkbox},
		{ID: "rep", Name: "销售", Type: schema.User},
		{ID: "company", Name: "公司", Type: schema.Link, LinkTable: "comp"},
		{ID: "contacts", Name: "联系人", Type: schema.Links, LinkTable: "ppl"},
		{ID: "dept", Name: "部门", Type: schema.Department},
		{ID: "created_by", Name: "创建人", Type: schema.User, System: true},
		{ID: "owner", Name: "负责人", Type: schema.User, System: true},
		{ID: "created_at", Name: "创建时间", Type: schema.DateTime, System: true},
		{ID: "updated_at", Name: "修改时间", Type: schema.DateTime, System: true},
	}}
}

// openDB creates the table of tbl in a fresh database and inserts rows (records keyed by
// field id in storage form, each with an int64 "id"). The database is PostgreSQL when
// TIERBASE_TEST_PG is set (a schema of its own, see store.Open), a SQLite file otherwise;
// tbl's SQL is compiled for it from then on.
func openDB(tb testing.TB, tbl *schema.Table, rows []map[string]any) *sql.DB {
	tb.Helper()
	db, err := store.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	tbl.Dialect = db.Dialect
	cols := []string{`"id" INTEGER PRIMARY KEY`} // bigint on PostgreSQL
	var names, marks []string
	for _, f := range tbl.Fields {
		names = append(names, store.Quote(f.Column()))
		marks = append(marks, "?")
		if f.ID != schema.FieldID {
			cols = append(cols, store.Quote(f.Column())+" "+f.Type.SQLType(db.Dialect))
		}
	}
	insert := "INSERT INTO " + store.Quote(tbl.SQLName()) + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	err = db.Tx(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec("CREATE TABLE " + store.Quote(tbl.SQLName()) + " (" + strings.Join(cols, ", ") + ")"); err != nil {
			return err
		}
		for _, r := range rows {
			args := make([]any, len(tbl.Fields))
			for i, f := range tbl.Fields {
				switch v := r[f.ID].(type) {
				case []string, []int64:
					b, _ := json.Marshal(v)
					args[i] = string(b)
				case bool:
					args[i] = int64(store.Bool(v))
				default:
					args[i] = v
				}
			}
			if _, err := tx.Exec(insert, args...); err != nil {
				return err
			}
		}
		for _, f := range tbl.Fields { // the index of a 多条关联, which its contains reads on SQLite
			if f.Type == schema.Links && db.Dialect != store.Postgres {
				lk := store.Quote(schema.LinksIndex(tbl, f))
				if _, err := tx.Exec("CREATE TABLE " + lk + " (linked INTEGER, record INTEGER)"); err != nil {
					return err
				}
				if _, err := tx.Exec("INSERT INTO " + lk + " SELECT j.value, r.id FROM " + store.Quote(tbl.SQLName()) + " r, json_each(r." + store.Quote(f.Column()) + ") j"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return db.R
}

// sqlIDs runs the WHERE fragment on the table and returns the ids it picks, ascending.
func sqlIDs(db *sql.DB, tbl *schema.Table, where string, args []any) ([]int64, error) {
	rs, err := db.Query("SELECT id FROM "+store.Quote(tbl.SQLName())+" WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	ids := []int64{}
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}

// goIDs returns the ids of the rows c matches in Go, ascending.
func goIDs(c *Cond, rows []map[string]any) ([]int64, error) {
	ids := []int64{}
	for _, r := range rows {
		ok, err := c.Match(r)
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, r["id"].(int64))
		}
	}
	slices.Sort(ids)
	return ids, nil
}

package cond

import (
	"slices"
	"strings"
	"testing"
	"time"

	"tierbase/platform/store"
)

// fixedRows are six customers around testEnv (today 2026-11-23 in cst, now 02:30 UTC).
func fixedRows() []map[string]any {
	return []map[string]any{
		{"id": int64(1), "name": "Alice Zhang", "phone": "13800138000", "level": "高价值客户", "amount": 12000.0, "freq": 8.0,
			"last": "2026-11-20", "visit": "2026-11-23T00:30:00Z", "tags": []string{"a", "VIP"}, "hobby": []string{"阅读", "运动"},
			"vip": true, "rep": int64(7), "company": int64(100), "created_by": int64(7), "owner": int64(7),
			"created_at": "2026-01-05T03:00:00Z", "updated_at": "2026-11-23T02:00:00Z"},
		{"id": int64(2), "name": "bob_50%", "phone": "13900000000", "level": "普通客户", "amount": 500.5, "freq": 2.0,
			"last": "2026-10-09", "visit": "2026-10-14T02:30:00Z", "tags": []string{}, "hobby": []string{"音乐"},
			"vip": false, "rep": int64(8), "company": int64(101), "created_by": int64(8), "owner": int64(8)},
		{"id": int64(3), "name": "张三", "created_by": int64(7)},
		{"id": int64(4), "name": "", "phone": "", "level": "流失客户", "amount": 10000.0, "freq": 6.0,
			"last": "2026-11-28", "visit": "2026-11-26T02:30:00Z", "tags": []string{"b"}, "hobby": []string{},
			"vip": true, "rep": int64(7)},
		{"id": int64(5), "name": `ALICE\path`, "phone": "13700000000", "level": "高价值客户", "amount": -1.0, "freq": 0.0,
			"last": "2026-11-23", "visit": "2026-11-22T16:00:00Z", "tags": []string{"a", "b"}, "hobby": []string{"运动", "音乐"},
			"vip": false, "company": int64(100)},
		{"id": int64(6), "name": "alice", "level": "普通客户", "amount": 0.0,
			"last": "2026-10-24", "visit": "2026-11-22T15:59:59Z", "tags": []string{"VIP", "vip"}, "hobby": []string{"阅读"}},
	}
}

func TestOperators(t *testing.T) {
	tbl := testTable()
	rows := fixedRows()
	db := openDB(t, tbl, rows)
	all := []int64{1, 2, 3, 4, 5, 6}
	cases := []struct {
		cond string
		want []int64
	}{
		// text
		{`{"field":"name","op":"eq","value":"alice"}`, []int64{6}},
		{`{"field":"name","op":"eq","value":"Alice Zhang"}`, []int64{1}},
		{`{"field":"name","op":"ne","value":"alice"}`, []int64{1, 2, 3, 4, 5}},
		{`{"field":"name","op":"contains","value":"alice"}`, []int64{1, 5, 6}},
		{`{"field":"name","op":"contains","value":"%"}`, []int64{2}},
		{`{"field":"name","op":"contains","value":"_"}`, []int64{2}},
		{`{"field":"name","op":"contains","value":"b_5"}`, []int64{2}},
		{`{"field":"name","op":"contains","value":"\\"}`, []int64{5}},
		{`{"field":"name","op":"contains","value":"张"}`, []int64{3}},
		{`{"field":"name","op":"contains","value":""}`, all},
		{`{"field":"name","op":"notContains","value":"ALICE"}`, []int64{2, 3, 4}},
		{`{"field":"name","op":"empty"}`, []int64{4}},
		{`{"field":"name","op":"notEmpty"}`, []int64{1, 2, 3, 5, 6}},
		{`{"field":"phone","op":"empty"}`, []int64{3, 4, 6}},
		{`{"field":"phone","op":"contains","value":138}`, []int64{1}},
		{`{"field":"phone","op":"notContains","value":"138"}`, []int64{2, 3, 4, 5, 6}},
		{`{"field":"name","op":"gt","value":"alice"}`, []int64{2, 3}},
		{`{"field":"name","op":"lte","value":"alice"}`, []int64{1, 4, 5, 6}},
		{`{"field":"name","op":"between","value":["a","c"]}`, []int64{2, 6}},
		{`{"field":"name","op":"in","value":["alice","张三"]}`, []int64{3, 6}},
		{`{"field":"name","op":"nin","value":["alice","张三"]}`, []int64{1, 2, 4, 5}},
		// select
		{`{"field":"level","op":"eq","value":"高价值客户"}`, []int64{1, 5}},
		{`{"field":"客户等级","op":"ne","value":"高价值客户"}`, []int64{2, 3, 4, 6}},
		{`{"field":"level","op":"in","value":["普通客户","流失客户"]}`, []int64{2, 4, 6}},
		{`{"field":"level","op":"nin","value":["普通客户","流失客户"]}`, []int64{1, 3, 5}},
		{`{"field":"level","op":"empty"}`, []int64{3}},
		{`{"field":"level","op":"contains","value":"价值"}`, []int64{1, 5}},
		// numbers
		{`{"field":"累计消费金额","op":"gt","value":10000}`, []int64{1}},
		{`{"field":"amount","op":"gte","value":10000}`, []int64{1, 4}},
		{`{"field":"amount","op":"lt","value":0}`, []int64{5}},
		{`{"field":"amount","op":"lte","value":0}`, []int64{5, 6}},
		{`{"field":"amount","op":"eq","value":500.5}`, []int64{2}},
		{`{"field":"amount","op":"ne","value":10000}`, []int64{1, 2, 3, 5, 6}},
		{`{"field":"amount","op":"between","value":[0,10000]}`, []int64{2, 4, 6}},
		{`{"field":"amount","op":"in","value":[0,12000]}`, []int64{1, 6}},
		{`{"field":"amount","op":"nin","value":[0,12000]}`, []int64{2, 3, 4, 5}},
		{`{"field":"amount","op":"empty"}`, []int64{3}},
		{`{"field":"amount","op":"notEmpty"}`, []int64{1, 2, 4, 5, 6}},
		{`{"field":"freq","op":"gt","value":"5"}`, []int64{1, 4}},
		{`{"field":"id","op":"gt","value":4}`, []int64{5, 6}},
		{`{"field":"id","op":"in","value":[1,3]}`, []int64{1, 3}},
		// dates: today is 2026-11-23
		{`{"field":"最近消费日","op":"withinLastDays","value":30}`, []int64{1, 5, 6}},
		{`{"field":"last","op":"withinLastDays","value":0}`, []int64{5}},
		{`{"field":"last","op":"withinNextDays","value":5}`, []int64{4, 5}},
		{`{"field":"last","op":"olderThanDays","value":30}`, []int64{2}},
		{`{"field":"last","op":"before","value":"2026-11-20"}`, []int64{2, 6}},
		{`{"field":"last","op":"after","value":"2026-11-20"}`, []int64{4, 5}},
		{`{"field":"last","op":"eq","value":"2026-11-23"}`, []int64{5}},
		{`{"field":"last","op":"ne","value":"2026-11-23"}`, []int64{1, 2, 3, 4, 6}},
		{`{"field":"last","op":"between","value":["2026-10-24","2026-11-20"]}`, []int64{1, 6}},
		{`{"field":"last","op":"empty"}`, []int64{3}},
		// datetimes: now is 2026-11-23T02:30:00Z; 2026-11-23 in cst is [11-22T16:00Z, 11-23T16:00Z)
		{`{"field":"visit","op":"eq","value":"2026-11-23"}`, []int64{1, 5}},
		{`{"field":"visit","op":"ne","value":"2026-11-23"}`, []int64{2, 3, 4, 6}},
		{`{"field":"visit","op":"before","value":"2026-11-23"}`, []int64{2, 6}},
		{`{"field":"visit","op":"lte","value":"2026-11-22"}`, []int64{2, 6}},
		{`{"field":"visit","op":"after","value":"2026-11-22"}`, []int64{1, 4, 5}},
		{`{"field":"visit","op":"gte","value":"2026-11-23"}`, []int64{1, 4, 5}},
		{`{"field":"visit","op":"eq","value":"2026-11-23 00:00"}`, []int64{5}},
		{`{"field":"visit","op":"after","value":"2026-11-23T08:00:00+08:00"}`, []int64{1, 4}},
		{`{"field":"visit","op":"between","value":["2026-11-22","2026-11-23"]}`, []int64{1, 5, 6}},
		{`{"field":"visit","op":"withinLastDays","value":1}`, []int64{1, 5, 6}},
		{`{"field":"visit","op":"withinLastDays","value":40}`, []int64{1, 2, 5, 6}},
		{`{"field":"visit","op":"withinNextDays","value":3}`, []int64{4}},
		{`{"field":"visit","op":"olderThanDays","value":30}`, []int64{2}},
		{`{"field":"updated_at","op":"notEmpty"}`, []int64{1}},
		// tags and multiselect
		{`{"field":"tags","op":"contains","value":"a"}`, []int64{1, 5}},
		{`{"field":"tags","op":"contains","value":["a","b"]}`, []int64{5}},
		{`{"field":"tags","op":"contains","value":"vip"}`, []int64{6}},
		{`{"field":"tags","op":"notContains","value":"a"}`, []int64{2, 3, 4, 6}},
		{`{"field":"tags","op":"notContains","value":["a","b"]}`, []int64{2, 3, 6}},
		{`{"field":"tags","op":"in","value":["b","VIP"]}`, []int64{1, 4, 5, 6}},
		{`{"field":"tags","op":"nin","value":["b","VIP"]}`, []int64{2, 3}},
		{`{"field":"tags","op":"empty"}`, []int64{2, 3}},
		{`{"field":"tags","op":"notEmpty"}`, []int64{1, 4, 5, 6}},
		{`{"field":"兴趣","op":"contains","value":"运动"}`, []int64{1, 5}},
		{`{"field":"hobby","op":"in","value":["音乐"]}`, []int64{2, 5}},
		{`{"field":"hobby","op":"empty"}`, []int64{3, 4}},
		// the record id, an integer column, compared exactly with fractions
		{`{"field":"id","op":"lt","value":1.5}`, []int64{1}},
		{`{"field":"id","op":"eq","value":1.5}`, []int64{}},
		{`{"field":"id","op":"in","value":[2,2.5,3.5]}`, []int64{2}},
		// checkbox: NULL is unchecked
		{`{"field":"vip","op":"eq","value":true}`, []int64{1, 4}},
		{`{"field":"vip","op":"eq","value":false}`, []int64{2, 3, 5, 6}},
		{`{"field":"vip","op":"ne","value":true}`, []int64{2, 3, 5, 6}},
		{`{"field":"vip","op":"ne","value":"false"}`, []int64{1, 4}},
		{`{"field":"vip","op":"empty"}`, []int64{2, 3, 5, 6}},
		{`{"field":"vip","op":"notEmpty"}`, []int64{1, 4}},
		// users and links
		{`{"field":"rep","op":"eq","value":"$me"}`, []int64{1, 4}},
		{`{"field":"rep","op":"ne","value":"$me"}`, []int64{2, 3, 5, 6}},
		{`{"field":"rep","op":"in","value":[8,"$me"]}`, []int64{1, 2, 4}},
		{`{"field":"rep","op":"nin","value":[8]}`, []int64{1, 3, 4, 5, 6}},
		{`{"field":"rep","op":"in","value":[]}`, []int64{}},
		{`{"field":"rep","op":"nin","value":[]}`, all},
		{`{"field":"rep","op":"empty"}`, []int64{3, 5, 6}},
		{`{"field":"rep","op":"eq","value":"$myDepartments"}`, []int64{1, 4}},
		{`{"field":"rep","op":"ne","value":"$myDepartments"}`, []int64{2, 3, 5, 6}},
		{`{"field":"rep","op":"eq","value":"$mySubDepartments"}`, []int64{1, 2, 4}},
		{`{"field":"rep","op":"nin","value":["$mySubDepartments"]}`, []int64{3, 5, 6}},
		{`{"field":"rep","op":"in","value":["$myDepartments",8]}`, []int64{1, 2, 4}},
		{`{"field":"owner","op":"in","value":["$mySubDepartments"]}`, []int64{1, 2}},
		{`{"field":"负责人","op":"eq","value":"$me"}`, []int64{1}},
		{`{"field":"company","op":"eq","value":100}`, []int64{1, 5}},
		{`{"field":"company","op":"ne","value":"100"}`, []int64{2, 3, 4, 6}},
		// groups
		{``, all},
		{`{}`, all},
		{`{"and":[]}`, all},
		{`{"or":[]}`, all},
		{`{"or":[{"field":"tags","op":"contains","value":"a"},{"field":"vip","op":"eq","value":true}]}`, []int64{1, 4, 5}},
		{`{"and":[{"field":"tags","op":"contains","value":"a"},{"field":"vip","op":"eq","value":true}]}`, []int64{1}},
		{`{"not":{"field":"level","op":"eq","value":"高价值客户"}}`, []int64{2, 3, 4, 6}},
		{`{"not":{"or":[{"field":"amount","op":"gt","value":0},{"field":"name","op":"empty"}]}}`, []int64{3, 5, 6}},
		{`{"not":{"and":[{"field":"amount","op":"ne","value":0},{"not":{"field":"name","op":"contains","value":"A"}}]}}`, []int64{1, 5, 6}},
		{`{"not":{"field":"rep","op":"in","value":[]}}`, all},
		{`{"not":{"and":[]}}`, []int64{}},
	}
	for _, c := range cases {
		n, err := Parse([]byte(c.cond))
		if err != nil {
			t.Errorf("Parse(%s): %v", c.cond, err)
			continue
		}
		where, args, err := Compile(n, tbl, testEnv)
		if err != nil {
			t.Errorf("Compile(%s): %v", c.cond, err)
			continue
		}
		got, err := sqlIDs(db, tbl, where, args)
		if err != nil {
			t.Errorf("SQL of %s: %s: %v", c.cond, where, err)
		} else if !slices.Equal(got, c.want) {
			t.Errorf("SQL of %s = %v, want %v\n%s %v", c.cond, got, c.want, where, args)
		}
		var picked []int64
		for _, r := range rows {
			ok, err := Eval(n, tbl, testEnv, r)
			if err != nil {
				t.Fatalf("Eval(%s): %v", c.cond, err)
			}
			if ok {
				picked = append(picked, r["id"].(int64))
			}
		}
		if !slices.Equal(picked, c.want) {
			t.Errorf("Eval of %s picks %v, want %v", c.cond, picked, c.want)
		}
	}
}

// TestSQLText checks the SQL text in each dialect: the forms that differ (pg, when not ""),
// and that values only travel as arguments (the same on both).
func TestSQLText(t *testing.T) {
	cases := []struct {
		cond, where, pg string
		args            []any
	}{
		{`{"and":[]}`, "1=1", "", nil},
		{`{"field":"客户等级","op":"ne","value":"高价值客户"}`, `("level" IS NULL OR "level" <> ?)`, "", []any{"高价值客户"}},
		{`{"field":"amount","op":"gt","value":"12.5"}`, `"amount" > ?`, `"amount" > CAST(? AS numeric)`, []any{12.5}},
		{`{"field":"id","op":"in","value":[1,2.5]}`, `"id" IN (?, ?)`, `"id" IN (?, CAST(? AS numeric))`, []any{int64(1), 2.5}},
		{`{"field":"name","op":"contains","value":"50%_\\"}`, `"name" LIKE ? ESCAPE '\'`, `"name" COLLATE "C" ILIKE ? ESCAPE '\'`, []any{`%50\%\_\\%`}},
		{`{"field":"name","op":"notContains","value":"a"}`, `("name" IS NULL OR "name" NOT LIKE ? ESCAPE '\')`,
			`("name" COLLATE "C" IS NULL OR "name" COLLATE "C" NOT ILIKE ? ESCAPE '\')`, []any{"%a%"}},
		{`{"field":"name","op":"lt","value":"b"}`, `"name" < ?`, `"name" COLLATE "C" < ?`, []any{"b"}},
		{`{"field":"tags","op":"in","value":["a","b"]}`, `EXISTS (SELECT 1 FROM json_each("tags") WHERE value IN (?, ?))`,
			`("tags" @> jsonb_build_array(CAST(? AS text)) OR "tags" @> jsonb_build_array(CAST(? AS text)))`, []any{"a", "b"}},
		{`{"field":"tags","op":"nin","value":["a"]}`, `NOT EXISTS (SELECT 1 FROM json_each("tags") WHERE value IN (?))`,
			`("tags" IS NULL OR NOT ("tags" @> jsonb_build_array(CAST(? AS text))))`, []any{"a"}},
		{`{"field":"hobby","op":"empty"}`, `NOT EXISTS (SELECT 1 FROM json_each("hobby"))`, `("hobby" IS NULL OR jsonb_array_length("hobby") = 0)`, nil},
		{`{"field":"hobby","op":"notEmpty"}`, `EXISTS (SELECT 1 FROM json_each("hobby"))`, `jsonb_array_length("hobby") > 0`, nil},
		{`{"field":"rep","op":"eq","value":"$me"}`, `"rep" = ?`, "", []any{int64(7)}},
		{`{"field":"rep","op":"eq","value":"$myDepartments"}`, `"rep" IN (7, 9)`, "", nil},
		{`{"field":"rep","op":"nin","value":[8,"$me"]}`, `("rep" IS NULL OR "rep" NOT IN (8, 7))`, "", nil},
		{`{"field":"visit","op":"eq","value":"2026-11-23 14:30"}`, `"visit" = ?`, "", []any{"2026-11-23T06:30:00Z"}},
		{`{"field":"visit","op":"eq","value":"2026-11-23"}`, `("visit" >= ? AND "visit" < ?)`, "", []any{"2026-11-22T16:00:00Z", "2026-11-23T16:00:00Z"}},
		{`{"field":"last","op":"withinLastDays","value":30}`, `("last" >= ? AND "last" <= ?)`, "", []any{"2026-10-24", "2026-11-23"}},
		{`{"field":"name","op":"eq","value":"x' OR 1=1 --"}`, `"name" = ?`, "", []any{"x' OR 1=1 --"}},
		{`{"not":{"or":[{"field":"amount","op":"lt","value":1},{"field":"vip","op":"eq","value":true}]}}`,
			`(("amount" IS NULL OR "amount" >= ?) AND ("vip" IS NULL OR "vip" <> ?))`,
			`(("amount" IS NULL OR "amount" >= ?) AND ("vip" IS NULL OR "vip" <> ?))`, []any{int64(1), int64(1)}},
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		tbl := testTable()
		tbl.Dialect = d
		for _, c := range cases {
			n, err := Parse([]byte(c.cond))
			if err != nil {
				t.Fatalf("Parse(%s): %v", c.cond, err)
			}
			where, args, err := Compile(n, tbl, testEnv)
			if err != nil {
				t.Fatalf("Compile(%s): %v", c.cond, err)
			}
			want := c.where
			if d == store.Postgres && c.pg != "" {
				want = c.pg
			}
			if where != want || !slices.Equal(args, c.args) {
				t.Errorf("%s: Compile(%s) = %s %#v, want %s %#v", d, c.cond, where, args, want, c.args)
			}
		}
	}
}

func TestEvalRejectsWrongStorageForm(t *testing.T) {
	tbl := testTable()
	n := &Node{Field: "amount", Op: "gt", Value: 1}
	if _, err := Eval(n, tbl, testEnv, map[string]any{"amount": "12"}); err == nil || !strings.Contains(err.Error(), "amount") {
		t.Errorf("Eval on a string amount: err = %v, want an error naming the field", err)
	}
	if ok, err := Eval(n, tbl, testEnv, map[string]any{}); ok || err != nil {
		t.Errorf("Eval on a missing amount = %v, %v; want false, nil", ok, err)
	}
}

func TestGoBuiltNodes(t *testing.T) {
	tbl := testTable()
	n := &Node{Or: []*Node{
		{Field: "tags", Op: "contains", Value: []string{"a", "b"}},
		{Field: "amount", Op: "between", Value: []any{int64(0), 600}},
	}}
	c, err := Prepare(n, tbl, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := goIDs(c, fixedRows())
	if err != nil || !slices.Equal(got, []int64{2, 5, 6}) {
		t.Errorf("Match picks %v, %v; want [2 5 6]", got, err)
	}
	if err := Check(nil, tbl); err != nil {
		t.Errorf("Check(nil) = %v, want nil (match all)", err)
	}
}

// TestContainsFoldsASCIIOnly pins contains to SQLite's LIKE: ASCII letters ignore case,
// other letters do not.
func TestContainsFoldsASCIIOnly(t *testing.T) {
	tbl := testTable()
	var rows []map[string]any
	for i, name := range []string{"ÄB", "äb", "AB", "ab", "Zoë", "ZOË", "İ", "i"} {
		rows = append(rows, map[string]any{"id": int64(i + 1), "name": name})
	}
	db := openDB(t, tbl, rows)
	for value, want := range map[string][]int64{"äb": {2}, "ab": {3, 4}, "zoë": {5}, "ZOË": {6}, "Ë": {6}, "i": {8}, "İ": {7}} {
		c, err := Prepare(&Node{Field: "name", Op: "contains", Value: value}, tbl, testEnv)
		if err != nil {
			t.Fatal(err)
		}
		where, args := c.SQL()
		fromSQL, err := sqlIDs(db, tbl, where, args)
		if err != nil || !slices.Equal(fromSQL, want) {
			t.Errorf("SQL contains %q picks %v (%v), want %v", value, fromSQL, err, want)
		}
		if fromGo, _ := goIDs(c, rows); !slices.Equal(fromGo, want) {
			t.Errorf("Go contains %q picks %v, want %v", value, fromGo, want)
		}
	}
}

// TestTodayIsInLoc: at 01:00 in cst it is already the 23rd there, though still the 22nd in UTC.
func TestTodayIsInLoc(t *testing.T) {
	tbl := testTable()
	env := Env{Now: time.Date(2026, 11, 23, 1, 0, 0, 0, cst), Loc: cst}
	c, err := Prepare(&Node{Field: "last", Op: "withinLastDays", Value: 0}, tbl, env)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := goIDs(c, fixedRows()); !slices.Equal(got, []int64{5}) {
		t.Errorf("today in cst picks %v, want [5]", got)
	}
	if _, args := c.SQL(); !slices.Equal(args, []any{"2026-11-23", "2026-11-23"}) {
		t.Errorf("today in cst is %v, want 2026-11-23", args)
	}
}

// TestUnder checks the path-prefix operator on province / city values: a province is
// under itself and has its cities under it, and nothing else is (浙江省, 浙 or 浙江x).
func TestUnder(t *testing.T) {
	tbl := testTable()
	names := []string{"浙江", "浙江/杭州", "浙江/杭州/西湖区", "浙江省", "浙", "浙江x", "", "/浙江", "广东/深圳"}
	var rows []map[string]any
	for i, s := range names {
		rows = append(rows, map[string]any{"id": int64(i + 1), "name": s, "level": "普通客户"})
	}
	rows = append(rows, map[string]any{"id": int64(len(names) + 1)})
	db := openDB(t, tbl, rows)
	cases := []struct {
		cond string
		want []int64
	}{
		{`{"field":"name","op":"under","value":"浙江"}`, []int64{1, 2, 3}},
		{`{"field":"name","op":"under","value":"浙江/杭州"}`, []int64{2, 3}},
		{`{"not":{"field":"name","op":"under","value":"浙江"}}`, []int64{4, 5, 6, 7, 8, 9, 10}},
		{`{"field":"name","op":"under","value":""}`, []int64{7, 8}},
		{`{"field":"level","op":"under","value":"普通"}`, []int64{}},
		{`{"field":"level","op":"under","value":"普通客户"}`, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
	}
	for _, c := range cases {
		n, err := Parse([]byte(c.cond))
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.cond, err)
		}
		cd, err := Prepare(n, tbl, testEnv)
		if err != nil {
			t.Fatalf("Prepare(%s): %v", c.cond, err)
		}
		where, args := cd.SQL()
		got, err := sqlIDs(db, tbl, where, args)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SQL of %s = %v (%v), want %v", c.cond, got, err, c.want)
		}
		if got, err := goIDs(cd, rows); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Go of %s = %v (%v), want %v", c.cond, got, err, c.want)
		}
	}
	if got := Describe(&Node{Field: "name", Op: "under", Value: "浙江"}, tbl, "en"); got != "客户名称 is 浙江 or under it" {
		t.Errorf("Describe = %q", got)
	}
}

package cond

import (
	"math/rand/v2"
	"slices"
	"testing"

	"tierbase/platform/problem"
)

// FuzzParse feeds arbitrary bytes through Parse, Check, Compile, Eval and Describe: none
// may panic, errors must be problem errors, and whatever compiles must run on SQLite and
// pick the same records as Eval.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"and":[]}`, `{"or":[{"field":"name","op":"contains","value":"a%_\\"}]}`,
		`{"and":[{"field":"最近消费日","op":"withinLastDays","value":30},{"field":"购买频率","op":"gt","value":5}]}`,
		`{"not":{"field":"客户等级","op":"ne","value":"高价值客户"}}`,
		`{"field":"tags","op":"contains","value":["a","VIP"]}`,
		`{"field":"visit","op":"between","value":["2026-11-01","2026-11-23 14:30"]}`,
		`{"field":"rep","op":"in","value":["$me",8]}`,
		`{"field":"rep","op":"ne","value":"$mySubDepartments"}`, `{"field":"owner","op":"nin","value":["$myDepartments",1]}`,
		`{"field":"company","op":"eq","value":"$myDepartments"}`,
		`{"field":"vip","op":"eq","value":false}`,
		`{"field":"amount","op":"nin","value":[0,"12000.75",1e308]}`,
		`{"field":"hobby","op":"empty"}`, `{"field":"id","op":"gte","value":"3"}`,
		`{"field":"visit","op":"olderThanDays","value":100000}`,
	} {
		f.Add([]byte(seed))
	}
	g := gen{rand.New(rand.NewPCG(7, 7))}
	tbl := testTable()
	rows := fixedRows()
	for i := range 40 {
		rows = append(rows, g.record(int64(i+10)))
	}
	db := openDB(f, tbl, rows)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			if problem.As(err) == nil {
				t.Fatalf("Parse error is not a problem: %v", err)
			}
			return
		}
		Describe(n, tbl, "zh")
		Describe(n, tbl, "en")
		c, err := Prepare(n, tbl, testEnv)
		if err != nil {
			if problem.As(err) == nil {
				t.Fatalf("Prepare error is not a problem: %v", err)
			}
			return
		}
		where, args := c.SQL()
		fromSQL, err := sqlIDs(db, tbl, where, args)
		if err != nil {
			t.Fatalf("SQL %s %v: %v", where, args, err)
		}
		fromGo, err := goIDs(c, rows)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fromSQL, fromGo) {
			t.Fatalf("SQL %s %v picks %v, Eval picks %v", where, args, fromSQL, fromGo)
		}
	})
}

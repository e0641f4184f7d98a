package cond

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"tierbase/core/schema"
)

// gen makes random records and random conditions over testTable, around testEnv's today.
type gen struct{ r *rand.Rand }

// textPieces mix case, unicode and the LIKE wildcards and escape.
var textPieces = []string{"alice", "Alice", "ALICE", "bob", "_", "%", `\`, "50%", "a_b", "张三", "Zoë", "ÄB", "äb", "x", " ", "The Quick", "quick", "ǅ", "İ", "浙江", "/", "浙江/杭州"}

func (g gen) pick(list ...any) any { return list[g.r.IntN(len(list))] }

func (g gen) text() string {
	var b strings.Builder
	for range g.r.IntN(3) {
		b.WriteString(textPieces[g.r.IntN(len(textPieces))])
	}
	return b.String()
}

func (g gen) day(spread int) time.Time {
	y, m, d := testEnv.Now.Date()
	return time.Date(y, m, d+g.r.IntN(2*spread+1)-spread, 0, 0, 0, 0, time.UTC)
}

// instant is a time within 40 days of now, often on a second, minute or day boundary.
func (g gen) instant() time.Time {
	t := testEnv.Now.Add(time.Duration(g.r.Int64N(80*24*3600)-40*24*3600) * time.Second)
	switch g.r.IntN(4) {
	case 0:
		t = t.Truncate(time.Hour)
	case 1:
		y, m, d := t.In(cst).Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, cst).Add(time.Duration(g.r.IntN(3)-1) * time.Second)
	}
	return t
}

func (g gen) subset(vals ...string) []string {
	out := []string{}
	for _, v := range vals {
		if g.r.IntN(3) == 0 {
			out = append(out, v)
		}
	}
	return out
}

var tagPool = []string{"a", "b", "VIP", "vip", "x y", "%", "张"}

// record is a random record in storage form; about a quarter of the values are NULL.
func (g gen) record(id int64) map[string]any {
	rec := map[string]any{"id": id}
	for _, f := range testTable().Fields {
		if f.ID == schema.FieldID || g.r.IntN(4) == 0 {
			continue
		}
		var v any
		switch f.Type {
		case schema.Text, schema.Phone:
			v = g.text()
		case schema.Select:
			v = g.pick("普通客户", "高价值客户", "流失客户", "")
		case schema.Money, schema.Number:
			v = g.pick(-1.0, 0.0, 0.5, 1.0, 5.0, 10000.0, 12000.75, float64(g.r.IntN(20)))
		case schema.Date:
			v = g.day(40).Format(dateLayout)
		case schema.DateTime:
			v = utc(g.instant())
		case schema.Tags:
			v = g.subset(tagPool...)
		case schema.MultiSelect:
			v = g.subset(f.OptionValues()...)
		case schema.Checkbox:
			v = g.r.IntN(2) == 0
		case schema.User:
			v = int64(g.r.IntN(3) + 7)
		case schema.Link:
			v = int64(g.r.IntN(2) + 100)
		case schema.Links:
			var ids []int64
			for id := int64(100); id < 104; id++ {
				if g.r.IntN(3) == 0 {
					ids = append(ids, id)
				}
			}
			if ids != nil {
				v = ids
			}
		case schema.Department:
			v = int64(g.r.IntN(3) + 1)
		}
		rec[f.ID] = v
	}
	return rec
}

// value is a random value an operator may be given for f, written as JSON would carry it.
func (g gen) value(f *schema.Field) any {
	switch f.Type {
	case schema.Text, schema.Phone:
		s := g.text()
		if g.r.IntN(2) == 0 {
			s = textPieces[g.r.IntN(len(textPieces))]
		}
		switch g.r.IntN(4) {
		case 0:
			return strings.ToUpper(s)
		case 1:
			return strings.ToLower(s)
		}
		return s
	case schema.Select, schema.MultiSelect:
		return f.Options[g.r.IntN(len(f.Options))].Value
	case schema.Tags:
		return tagPool[g.r.IntN(len(tagPool))]
	case schema.Money, schema.Number:
		if f.ID == schema.FieldID {
			return g.r.IntN(60)
		}
		v := g.pick(-1.0, 0.0, 0.5, 5.0, 10000.0, 12000.75, float64(g.r.IntN(20)))
		if g.r.IntN(4) == 0 {
			return fmt.Sprint(v)
		}
		return v
	case schema.Date:
		return g.day(45).Format(dateLayout)
	case schema.DateTime:
		t := g.instant()
		switch g.r.IntN(4) {
		case 0:
			return g.day(45).Format(dateLayout)
		case 1:
			return t.In(cst).Format("2006-01-02 15:04")
		case 2:
			return t.In(time.FixedZone("", -5*3600)).Format(time.RFC3339)
		}
		return utc(t)
	case schema.Checkbox:
		return g.r.IntN(2) == 0
	case schema.User:
		return g.pick(7, 8, 9, Me)
	case schema.Link:
		return g.pick(100, 101, 102)
	case schema.Links:
		return g.pick(100, 101, 102, 103, "101")
	case schema.Department:
		return g.pick(1, 2, 3, MyDepartments, MySubDepartments)
	}
	panic("no value for " + f.Type)
}

func (g gen) list(f *schema.Field, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = g.value(f)
	}
	return out
}

// leaf is a random comparison that Check accepts; a third are on the text field 客户名称.
func (g gen) leaf(tbl *schema.Table) *Node {
	f := tbl.Fields[g.r.IntN(len(tbl.Fields))]
	if g.r.IntN(3) == 0 {
		f = tbl.Field("name")
	}
	k, _ := kindOf(f)
	op := kindOps[k][g.r.IntN(len(kindOps[k]))]
	n := &Node{Field: f.ID, Op: op}
	if g.r.IntN(3) == 0 {
		n.Field = f.Name
	}
	switch ops[op].arity {
	case oneValue:
		n.Value = g.value(f)
		if (k == kMulti || k == kLinks) && g.r.IntN(2) == 0 {
			n.Value = g.list(f, 1+g.r.IntN(2))
		}
	case listValue:
		n.Value = g.list(f, g.r.IntN(4))
	case pairValue:
		n.Value = g.list(f, 2)
	case daysValue:
		n.Value = g.r.IntN(45)
	}
	return n
}

// tree is a random condition at most depth levels deep.
func (g gen) tree(tbl *schema.Table, depth int) *Node {
	if depth == 0 || g.r.IntN(3) == 0 {
		return g.leaf(tbl)
	}
	if g.r.IntN(8) == 0 {
		return &Node{Not: g.tree(tbl, depth-1)}
	}
	kids := make([]*Node, g.r.IntN(5))
	for i := range kids {
		kids[i] = g.tree(tbl, depth-1)
	}
	if g.r.IntN(2) == 0 {
		return &Node{And: kids}
	}
	return &Node{Or: kids}
}

// TestSQLAgreesWithEval checks on random data and random conditions that the records
// the SQL picks are exactly those Eval picks.
func TestSQLAgreesWithEval(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(2026, 11))}
	tbl := testTable()
	rows := make([]map[string]any, 120)
	for i := range rows {
		rows[i] = g.record(int64(i + 1))
	}
	db := openDB(t, tbl, rows)
	envs := []Env{testEnv, {Now: testEnv.Now, Loc: time.UTC, UserID: 8}, {Now: testEnv.Now.Add(-7 * time.Hour), Loc: time.FixedZone("", -5*3600), UserID: 9}}
	const trees = 800
	partial := 0
	for i := range trees {
		n := g.tree(tbl, 4)
		data, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		n, err = Parse(data)
		if err != nil {
			t.Fatalf("Parse(%s): %v", data, err)
		}
		c, err := Prepare(n, tbl, envs[i%len(envs)])
		if err != nil {
			t.Fatalf("Prepare(%s): %v", data, err)
		}
		where, args := c.SQL()
		fromSQL, err := sqlIDs(db, tbl, where, args)
		if err != nil {
			t.Fatalf("SQL of %s: %s: %v", data, where, err)
		}
		fromGo, err := goIDs(c, rows)
		if err != nil {
			t.Fatalf("Match(%s): %v", data, err)
		}
		if !slices.Equal(fromSQL, fromGo) {
			t.Fatalf("condition %s\nSQL %s %v\npicks %v in SQL but %v in Go", data, where, args, fromSQL, fromGo)
		}
		if len(fromSQL) > 0 && len(fromSQL) < len(rows) {
			partial++
		}
	}
	// Most trees should pick some records but not all, or the test proves little.
	t.Logf("%d of %d conditions picked a proper subset of the %d records", partial, trees, len(rows))
	if partial < trees/3 {
		t.Errorf("only %d of %d conditions picked a proper subset of the records", partial, trees)
	}
}

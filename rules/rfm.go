package rules

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"tierbase/problem"
	"tierbase/schema"
	"tierbase/store"
)

// RFM says where an RFM model reads recency (R), frequency (F) and money (M) for the customers
// of Table: from linked orders (Orders set: their date and amount fields; F counts them, M sums
// them, R is the latest date), or from the customer's own fields.
type RFM struct {
	Table string `json:"table"`
	// From orders:
	Orders      string `json:"orders,omitempty"`      // the order table; it links to Table
	OrderDate   string `json:"orderDate,omitempty"`   // e.g. 下单日期
	OrderAmount string `json:"orderAmount,omitempty"` // e.g. 订单金额
	// Or from fields of Table:
	Recency   string `json:"recency,omitempty"`   // a date, e.g. 最近消费日
	Frequency string `json:"frequency,omitempty"` // e.g. 购买频率
	Monetary  string `json:"monetary,omitempty"`  // e.g. 累计消费金额
}

// Segments are the eight Chinese RFM segments by R, F, M high (近/高) or low (远/低).
var Segments = [8]string{"一般挽留客户", "一般发展客户", "一般保持客户", "一般价值客户", "重要挽留客户", "重要发展客户", "重要保持客户", "重要价值客户"}

// segmentCase picks the segment from the scores: Segments[M·4 + R·2 + F] with 1 = high, so
// 重要价值客户 (近高高) is M, R and F all high.
func segmentCase(r, f, m string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for i, name := range Segments {
		mh, rh, fh := i&4 != 0, i&2 != 0, i&1 != 0
		fmt.Fprintf(&b, " WHEN %s AND %s AND %s THEN '%s'", cmp(m, mh), cmp(r, rh), cmp(f, fh), name)
	}
	b.WriteString(" END")
	return b.String()
}

// cmp says whether score (s.x) is above its average (a.x): high, or at most: low.
func cmp(x string, high bool) string {
	if high {
		return "s." + x + " > a." + x
	}
	return "s." + x + " <= a." + x
}

// rfmFields are the fields the model writes, created on first use.
var rfmFields = []schema.Field{
	{Name: "R分", Type: schema.Number, Help: "最近一次消费：1–5 分，5 分最近"},
	{Name: "F分", Type: schema.Number, Help: "消费频率：1–5 分"},
	{Name: "M分", Type: schema.Number, Help: "消费金额：1–5 分"},
	{Name: "RFM分群", Type: schema.Select, Indexed: true},
}

// RunRFM scores every customer with purchases 1–5 on R, F and M by quintile (NTILE(5)), and
// puts each in one of the eight segments by comparing its scores with the averages. It writes
// R分, F分, M分 and RFM分群 (creating them if needed) in one statement and returns how many
// customers were scored.
func (e *Engine) RunRFM(ctx context.Context, m RFM) (int, error) {
	t, err := e.Catalog.Table(m.Table)
	if err != nil {
		return 0, err
	}
	source, err := e.rfmSource(t, m)
	if err != nil {
		return 0, err
	}
	cols := map[string]string{}
	for _, want := range rfmFields {
		f := t.Field(want.Name)
		if f == nil {
			w := want
			if w.Type == schema.Select {
				for _, s := range Segments {
					w.Options = append(w.Options, schema.Option{Value: s})
				}
			}
			if f, err = e.Catalog.AddField(ctx, t.ID, &w); err != nil {
				return 0, err
			}
		}
		cols[want.Name] = store.Quote(f.Column())
	}
	q := fmt.Sprintf(`WITH base AS (%s),
		s AS (SELECT id, NTILE(5) OVER (ORDER BY last) AS r, NTILE(5) OVER (ORDER BY freq) AS f, NTILE(5) OVER (ORDER BY money) AS m FROM base),
		a AS (SELECT AVG(r) AS r, AVG(f) AS f, AVG(m) AS m FROM s)
		UPDATE %s SET %s = s.r, %s = s.f, %s = s.m, %s = %s FROM s, a WHERE %s.id = s.id`,
		source, store.Quote(t.SQLName()), cols["R分"], cols["F分"], cols["M分"], cols["RFM分群"], segmentCase("r", "f", "m"), store.Quote(t.SQLName()))
	var n int64
	err = e.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// rfmSource is the SELECT of (id, last, freq, money) per customer with purchases.
func (e *Engine) rfmSource(t *schema.Table, m RFM) (string, error) {
	field := func(tb *schema.Table, ref, path string, ok func(schema.Type) bool) (string, error) {
		f := tb.Field(ref)
		if f == nil || !ok(f.Type) {
			return "", problem.Invalid("rfm_field", "name", ref, "table", tb.Name).At(path)
		}
		return store.Quote(f.Column()), nil
	}
	isDate := func(ty schema.Type) bool { return ty.IsTime() }
	isNum := func(ty schema.Type) bool { return ty.IsNumeric() }
	if m.Orders == "" {
		r, err := field(t, m.Recency, "recency", isDate)
		if err != nil {
			return "", err
		}
		f, err := field(t, m.Frequency, "frequency", isNum)
		if err != nil {
			return "", err
		}
		mo, err := field(t, m.Monetary, "monetary", isNum)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("SELECT id, %s AS last, COALESCE(%s, 0) AS freq, COALESCE(%s, 0) AS money FROM %s WHERE %s IS NOT NULL",
			r, f, mo, store.Quote(t.SQLName()), r), nil
	}
	o, err := e.Catalog.Table(m.Orders)
	if err != nil {
		return "", err
	}
	var link string
	for _, f := range o.Fields {
		if f.Type == schema.Link && f.LinkTable == t.ID {
			link = store.Quote(f.Column())
			break
		}
	}
	if link == "" {
		return "", problem.Invalid("rfm_link", "orders", o.Name, "table", t.Name).At("orders")
	}
	d, err := field(o, m.OrderDate, "orderDate", isDate)
	if err != nil {
		return "", err
	}
	amt, err := field(o, m.OrderAmount, "orderAmount", isNum)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("SELECT %s AS id, MAX(%s) AS last, COUNT(*) AS freq, COALESCE(SUM(%s), 0) AS money FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL GROUP BY %s",
		link, d, amt, store.Quote(o.SQLName()), link, d, link), nil
}

func init() {
	problem.AddMessage("rfm_field", "表「{table}」中没有合适的字段「{name}」（R 需要日期字段，F、M 需要数字或金额字段）",
		"table \"{table}\" has no suitable field \"{name}\" (R needs a date field, F and M a number or amount field)")
	problem.AddMessage("rfm_link", "订单表「{orders}」没有关联到「{table}」的字段", "the order table \"{orders}\" has no link to \"{table}\"")
}

package crm

import (
	"context"
	"encoding/json"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/engines/reports"
)

// board is a default dashboard: its charts, each with its place on the 12-column grid.
type board struct {
	name   string
	charts []placed
}

type placed struct {
	x, y, w, h int
	chart      reports.Chart
}

func leaf(field, op string, value any) *cond.Node {
	return &cond.Node{Field: field, Op: op, Value: value}
}

func dim(field, bucket string) []reports.Dimension {
	return []reports.Dimension{{Field: field, Bucket: bucket}}
}

func count(name string) []reports.Measure { return []reports.Measure{{Name: name, Agg: reports.Count}} }

// Boards are the template's dashboards: 客户分级看板 (scenario S3), RFM 矩阵, 客户地区分布,
// 团队业绩 (S11) and 客服看板 (S7).
func boards() []board {
	vip := leaf("客户等级", "eq", "高价值客户")
	paid := leaf("订单状态", "in", []any{"已付款", "已发货", "已完成"})
	return []board{
		{"客户分级看板", []placed{
			{0, 0, 4, 5, reports.Chart{Title: "本月新客户", Type: reports.Indicator, Table: "客户", Measures: count("新客户数"),
				Compare: reports.Month, DateField: "首次购买日期"}},
			{4, 0, 4, 5, reports.Chart{Title: "高价值客户数", Type: reports.Indicator, Table: "客户", Measures: count("客户数"), Filter: vip}},
			{8, 0, 4, 5, reports.Chart{Title: "流失预警客户数", Type: reports.Indicator, Table: "客户", Measures: count("客户数"),
				Filter: &cond.Node{And: []*cond.Node{leaf("最近消费日", "olderThanDays", 180), leaf("累计消费金额", "gt", 10000)}},
				Alert:  &reports.Alert{Op: "gt", Value: 100, Notify: []json.RawMessage{json.RawMessage(`"admin"`)}}}},
			{0, 5, 4, 10, reports.Chart{Title: "客户等级分布", Type: reports.Pie, Table: "客户", Dimensions: dim("客户等级", ""),
				Measures: count("客户数"), Donut: true}},
			{4, 5, 8, 10, reports.Chart{Title: "高价值客户来源", Type: reports.Bar, Table: "客户", Dimensions: dim("客户来源", ""),
				Measures: count("高价值客户数"), Filter: vip}},
			{0, 15, 12, 9, reports.Chart{Title: "每月新增高价值客户", Type: reports.Line, Table: "客户", Dimensions: dim("首次购买日期", reports.Month),
				Measures: count("新增高价值客户"), Filter: vip}},
		}},
		{"RFM 矩阵", []placed{
			{0, 0, 7, 12, reports.Chart{Title: "RFM 矩阵（R × F，颜色为客户数）", Type: reports.RFM, Table: "客户"}},
			{7, 0, 5, 12, reports.Chart{Title: "客户等级迁移", Type: reports.Migration, Table: "客户", Dimensions: dim("客户等级", "")}},
		}},
		{"客户地区分布", []placed{
			{0, 0, 8, 14, reports.Chart{Title: "客户地区分布", Type: reports.Map, Table: "客户", Dimensions: dim("地区", reports.Province),
				Measures: count("客户数")}},
			{8, 0, 4, 14, reports.Chart{Title: "消费金额前十的省份", Type: reports.Bar, Table: "客户", Dimensions: dim("地区", reports.Province),
				Measures: []reports.Measure{{Name: "累计消费金额", Agg: reports.Sum, Field: "累计消费金额"}}, Limit: 10}},
		}},
		{"团队业绩", []placed{
			{0, 0, 4, 5, reports.Chart{Title: "本月成交金额", Type: reports.Indicator, Table: "订单", Filter: paid,
				Measures: []reports.Measure{{Name: "成交金额", Agg: reports.Sum, Field: "订单金额"}}, Compare: reports.Month, DateField: "下单日期"}},
			{4, 0, 4, 5, reports.Chart{Title: "本月订单数", Type: reports.Indicator, Table: "订单", Filter: paid,
				Measures: count("订单数"), Compare: reports.Month, DateField: "下单日期"}},
			{8, 0, 4, 5, reports.Chart{Title: "客单价", Type: reports.Indicator, Table: "订单", Filter: paid,
				Measures: []reports.Measure{{Name: "客单价", Agg: reports.Formula, Formula: "成交金额 / 订单数"},
					{Name: "成交金额", Agg: reports.Sum, Field: "订单金额"}, {Name: "订单数", Agg: reports.Count}}}},
			{0, 5, 6, 10, reports.Chart{Title: "各负责人成交金额", Type: reports.Bar, Table: "订单", Dimensions: dim("负责人", ""), Filter: paid,
				Measures: []reports.Measure{{Name: "成交金额", Agg: reports.Sum, Field: "订单金额"}}}},
			{6, 5, 6, 10, reports.Chart{Title: "每月成交金额", Type: reports.Area, Table: "订单", Dimensions: dim("下单日期", reports.Month), Filter: paid,
				Measures: []reports.Measure{{Name: "成交金额", Agg: reports.Sum, Field: "订单金额"}}}},
			{0, 15, 12, 9, reports.Chart{Title: "负责人 × 订单状态", Type: reports.Pivot, Table: "订单",
				Dimensions: []reports.Dimension{{Field: "负责人"}, {Field: "订单状态"}},
				Measures:   []reports.Measure{{Name: "订单数", Agg: reports.Count}, {Name: "订单金额", Agg: reports.Sum, Field: "订单金额"}}}},
		}},
		ticketBoard(),
	}
}

// InstallDashboards adds the template's dashboards that are missing (by name).
func InstallDashboards(ctx context.Context, eng *reports.Engine) error {
	for _, b := range boards() {
		if _, err := eng.Dashboard(b.name); err == nil {
			continue
		}
		d, err := eng.SaveDashboard(ctx, access.System, &reports.Dashboard{Name: b.name})
		if err != nil {
			return err
		}
		var layout []reports.LayoutItem
		for _, p := range b.charts {
			c := p.chart
			c.Dashboard = d.ID
			saved, err := eng.SaveChart(ctx, access.System, &c)
			if err != nil {
				return err
			}
			layout = append(layout, reports.LayoutItem{Chart: saved.ID, X: p.x, Y: p.y, W: p.w, H: p.h})
		}
		d.Layout = layout
		if _, err := eng.SaveDashboard(ctx, access.System, d); err != nil {
			return err
		}
	}
	return nil
}

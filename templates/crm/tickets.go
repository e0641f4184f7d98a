package crm

import (
	"context"
	"strconv"
	"time"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/engines/reports"
	"tierbase/engines/rules"
)

// 工单 (S7 of the seed: "工单…自动派发…开始计时以确保满足SLA"): a customer reports a problem on
// the public 报修 form (or 客服 enters it); its 优先级 sets the SLA deadlines; the demo's rule
// 工单派单 gives it to a 客服 by 问题类型; the time to the first response (FRT) and to the
// resolution (ART) are written when 状态 moves; 客服看板 shows FRT, ART and FCR.
var (
	TicketTypes    = []string{"产品故障", "安装调试", "使用咨询", "投诉建议"}
	Priorities     = []string{"紧急", "高", "普通"}
	TicketStatuses = []string{"待处理", "处理中", "已解决", "已关闭"}
	TicketSources  = []string{"报修表单", "电话", "企业微信", "邮件"}
)

// The SLA of each 优先级: hours to the first response and to the resolution.
var sla = map[string][2]int{"紧急": {1, 4}, "高": {4, 24}, "普通": {8, 72}}

// RepairForm is the title of the template's public 报修 form of 工单.
const RepairForm = "在线报修"

func createTickets(ctx context.Context, by schema.Changer, cat *schema.Catalog, appID, customers string) error {
	_, err := cat.CreateTable(ctx, by, appID, "工单", []*schema.Field{
		{Name: "工单编号", Type: schema.AutoNumber, Format: "GD-{YYYYMMDD}-{0000}"},
		{Name: "问题描述", Type: schema.TextArea, Required: true},
		{Name: "问题类型", Type: schema.Select, Options: options(TicketTypes), Required: true, Indexed: true},
		{Name: "优先级", Type: schema.Select, Options: []schema.Option{{Value: "紧急", Color: "#f56c6c"}, {Value: "高", Color: "#e6a23c"}, {Value: "普通", Color: "#909399"}},
			Default: "普通"},
		{Name: "状态", Type: schema.Select, Options: options(TicketStatuses), Default: "待处理", Indexed: true},
		{Name: "客户", Type: schema.Link, LinkTable: customers},
		{Name: "联系人", Type: schema.Text},
		{Name: "联系电话", Type: schema.Phone},
		{Name: "来源", Type: schema.Select, Options: options(TicketSources)},
		{Name: "响应截止", Type: schema.DateTime, Help: "按优先级自动计算（SLA）"},
		{Name: "解决截止", Type: schema.DateTime, Indexed: true, Help: "按优先级自动计算（SLA）"},
		{Name: "首次响应时间", Type: schema.DateTime, Help: "状态第一次离开「待处理」时自动记录"},
		{Name: "解决时间", Type: schema.DateTime, Help: "状态变为「已解决」时自动记录"},
		{Name: "响应用时（分钟）", Type: schema.Number, Help: "首次响应时长（FRT）"},
		{Name: "解决用时（小时）", Type: schema.Number, Help: "解决时长（ART）"},
		{Name: "一次解决", Type: schema.Checkbox, Help: "首次联系即解决（FCR）"},
		{Name: "处理结果", Type: schema.TextArea},
	})
	return err
}

// slaFormula is the deadline formula of column k of sla (0: response, 1: resolution).
func slaFormula(k int) string {
	h := func(p string) string { return strconv.Itoa(sla[p][k]) }
	return `IF(优先级 = "紧急", DATEADD(NOW(), ` + h("紧急") + `, "hour"), IF(优先级 = "高", DATEADD(NOW(), ` + h("高") +
		`, "hour"), DATEADD(NOW(), ` + h("普通") + `, "hour")))`
}

// ticketRules set a 工单's SLA deadlines when it is made (or its 优先级 changes), and write the
// first response and the resolution with their durations when 状态 moves.
func ticketRules() []*rules.Rule {
	empty := func(field string) *cond.Node { return &cond.Node{Field: field, Op: "empty"} }
	return []*rules.Rule{
		{Name: "工单时限", Table: "工单", Enabled: true,
			Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"优先级"}}},
			Actions: []rules.Action{{Type: rules.ActSet, Field: "响应截止", Formula: slaFormula(0)},
				{Type: rules.ActSet, Field: "解决截止", Formula: slaFormula(1)}}},
		{Name: "工单首次响应", Table: "工单", Enabled: true,
			Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"状态"}}},
			When:     &cond.Node{And: []*cond.Node{{Field: "状态", Op: "ne", Value: "待处理"}, empty("首次响应时间")}},
			Actions: []rules.Action{{Type: rules.ActSet, Field: "首次响应时间", Formula: "NOW()"},
				{Type: rules.ActSet, Field: "响应用时（分钟）", Formula: `DATEDIF(创建时间, NOW(), "MIN")`}}},
		{Name: "工单解决", Table: "工单", Enabled: true,
			Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"状态"}}},
			When:     &cond.Node{And: []*cond.Node{{Field: "状态", Op: "eq", Value: "已解决"}, empty("解决时间")}},
			Actions: []rules.Action{{Type: rules.ActSet, Field: "解决时间", Formula: "NOW()"},
				{Type: rules.ActSet, Field: "解决用时（小时）", Formula: `ROUND(DATEDIF(创建时间, NOW(), "MIN") / 60, 1)`}}},
	}
}

// ticketBoard is 客服看板: open tickets, FRT and ART, FCR, and where tickets come from.
func ticketBoard() board {
	solved := leaf("状态", "in", []any{"已解决", "已关闭"})
	avg := func(name, field string) []reports.Measure {
		return []reports.Measure{{Name: name, Agg: reports.Avg, Field: field}}
	}
	return board{"客服看板", []placed{
		{0, 0, 3, 5, reports.Chart{Title: "待处理工单", Type: reports.Indicator, Table: "工单", Measures: count("工单数"),
			Filter: leaf("状态", "in", []any{"待处理", "处理中"})}},
		{3, 0, 3, 5, reports.Chart{Title: "平均首次响应（分钟）", Type: reports.Indicator, Table: "工单", Measures: avg("FRT", "响应用时（分钟）"),
			Filter: leaf("响应用时（分钟）", "notEmpty", nil)}},
		{6, 0, 3, 5, reports.Chart{Title: "平均解决时长（小时）", Type: reports.Indicator, Table: "工单", Measures: avg("ART", "解决用时（小时）"),
			Filter: solved}},
		{9, 0, 3, 5, reports.Chart{Title: "本月新工单", Type: reports.Indicator, Table: "工单", Measures: count("工单数"),
			Compare: reports.Month, DateField: "创建时间"}},
		{0, 5, 4, 10, reports.Chart{Title: "一次解决率（FCR）", Type: reports.Pie, Table: "工单", Dimensions: dim("一次解决", ""),
			Measures: count("工单数"), Filter: solved, Donut: true}},
		{4, 5, 4, 10, reports.Chart{Title: "工单类型", Type: reports.Bar, Table: "工单", Dimensions: dim("问题类型", ""), Measures: count("工单数")}},
		{8, 5, 4, 10, reports.Chart{Title: "各处理人平均解决时长", Type: reports.Bar, Table: "工单", Dimensions: dim("负责人", ""),
			Measures: avg("平均解决时长", "解决用时（小时）"), Filter: solved}},
		{0, 15, 12, 9, reports.Chart{Title: "每周工单量", Type: reports.Line, Table: "工单", Dimensions: dim("创建时间", reports.Week),
			Measures: count("工单数")}},
	}}
}

// dispatchRule is the demo's 工单派单: 产品故障 and 安装调试 to the technician, the rest to the
// head of 客服 (people exist only with the demo's organisation; others make their own).
func dispatchRule(tech, head int64) *rules.Rule {
	return &rules.Rule{Name: "工单派单", Table: "工单", Enabled: true,
		Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"问题类型"}}},
		Actions: []rules.Action{{Type: rules.ActAssign, Mode: rules.ByMap, By: "问题类型",
			Map: map[string]int64{"产品故障": tech, "安装调试": tech, "使用咨询": head, "投诉建议": head}}}}
}

// demoTickets are the demo's 工单: what, how urgent, and how far they got (minutes to the first
// response and hours to the resolution; 0: not yet), so 客服看板 has FRT, ART and FCR.
var demoTickets = []struct {
	desc, kind, priority, status string
	frt                          int
	art                          float64
	once                         bool
}{
	{"系统登录后页面空白，清缓存无效", "产品故障", "紧急", "已解决", 12, 3.5, false},
	{"新门店需要安装收银终端", "安装调试", "高", "已解决", 45, 20, true},
	{"如何导出本月的销售报表？", "使用咨询", "普通", "已关闭", 30, 0.5, true},
	{"上门服务人员迟到两小时", "投诉建议", "高", "已解决", 20, 6, true},
	{"打印机无法连接到系统", "产品故障", "高", "处理中", 35, 0, false},
	{"批量导入客户时提示格式错误", "使用咨询", "普通", "已解决", 90, 2, true},
	{"扫码枪识别率低", "产品故障", "普通", "待处理", 0, 0, false},
	{"希望增加微信通知功能", "投诉建议", "普通", "待处理", 0, 0, false},
	{"分店网络调试", "安装调试", "紧急", "处理中", 8, 0, false},
	{"会员积分未到账", "产品故障", "高", "已解决", 25, 30, false},
}

// DemoTickets saves 工单派单 for the demo's 客服 (孙丽, the head, and 郑浩, the technician)
// and makes demoTickets through the records engine, as 客服 would enter them. It runs after
// InstallOrg and InstallRules, and does nothing when 工单 has records.
func DemoTickets(ctx context.Context, eng *rules.Engine, recs *records.Service, people map[string]int64, now time.Time) (int, error) {
	t, err := eng.Catalog.Table("工单")
	if err != nil {
		return 0, err
	}
	if n, err := recs.Count(ctx, access.System, t, nil); err != nil || n > 0 {
		return 0, err
	}
	tech, head := people["zhenghao"], people["sunli"]
	if tech == 0 || head == 0 {
		return 0, nil
	}
	if _, err := eng.Rule("工单派单"); err != nil {
		if _, _, err := eng.SaveRule(ctx, access.System, dispatchRule(tech, head)); err != nil {
			return 0, err
		}
	}
	stamp := func(min float64) string {
		return now.Add(time.Duration(min * float64(time.Minute))).UTC().Format(time.RFC3339)
	}
	for i, d := range demoTickets {
		in := records.Input{"问题描述": d.desc, "问题类型": d.kind, "优先级": d.priority, "状态": d.status,
			"来源": TicketSources[i%len(TicketSources)], "一次解决": d.once}
		if d.frt > 0 {
			in["首次响应时间"], in["响应用时（分钟）"] = stamp(float64(d.frt)), d.frt
		}
		if d.art > 0 {
			in["解决时间"], in["解决用时（小时）"] = stamp(d.art*60), d.art
		}
		if _, err := recs.Create(ctx, access.System, t, in); err != nil {
			return i, err
		}
	}
	return len(demoTickets), nil
}

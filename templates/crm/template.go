// Package crm is the 客户管理 template: the tables of the customer lifecycle (客户, 联系人,
// 跟进记录, 订单, 待办任务, 报价单 with its 合同, and 工单), installed in one click, and a generator
// of realistic demo data for them.
package crm

import (
	"context"
	"encoding/json"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/engines/grading"
	"tierbase/engines/rules"
	"tierbase/engines/workbench"
	"tierbase/platform/problem"
)

// AppName is the name of the template's app.
const AppName = "客户管理"

// Sources, industries and tiers use the seed documents' words.
var (
	Sources    = []string{"市场活动", "官网", "转介绍", "展会", "电话营销", "企业微信"}
	Industries = []string{"互联网", "制造业", "零售", "金融", "教育", "医疗", "房地产", "物流", "餐饮", "其他"}
	Tiers      = []schema.Option{{Value: "高价值客户", Color: "#f56c6c"}, {Value: "潜力客户", Color: "#e6a23c"}, {Value: "普通客户", Color: "#909399"}}
	// Provinces are China's provincial divisions, as 地区 options.
	Provinces = []string{"北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
		"福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
		"台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门"}
	FollowUpWays  = []string{"电话", "拜访", "微信", "邮件", "会议"}
	OrderStatuses = []string{"待付款", "已付款", "已发货", "已完成", "已取消"}
	TaskStatuses  = []string{"待处理", "进行中", "已完成"}
	// QuoteStatuses are a 报价单's stages through the 报价审批 flow (seed 002, S6).
	QuoteStatuses    = []string{"草稿", "审批中", "已批准", "已驳回"}
	ContractStatuses = []string{"待签署", "已签署", "已作废"}
)

// Tables are the template's tables, in the order they are made.
var Tables = []string{"客户", "联系人", "跟进记录", "订单", "待办任务", "报价单", "报价明细", "合同", "工单"}

func options(values []string) []schema.Option {
	out := make([]schema.Option, len(values))
	for i, v := range values {
		out[i] = schema.Option{Value: v}
	}
	return out
}

// Install creates the 客户管理 app with its tables, if by may change the schema. It fails
// with 409 if the app exists.
func Install(ctx context.Context, by schema.Changer, cat *schema.Catalog) (*schema.App, error) {
	if err := by.MayChangeSchema(); err != nil {
		return nil, err
	}
	if _, err := cat.App(AppName); err == nil {
		return nil, problem.New(409, "template_exists", "name", AppName)
	}
	// Table names are unique across apps: refuse before creating anything, so a clash
	// does not leave a half-installed app behind.
	for _, name := range Tables {
		if _, err := cat.Table(name); err == nil {
			return nil, problem.New(409, "duplicate_name", "name", name)
		}
	}
	app, err := cat.CreateApp(ctx, by, AppName, "user")
	if err != nil {
		return nil, err
	}
	customers, err := cat.CreateTable(ctx, by, app.ID, "客户", []*schema.Field{
		{Name: "客户编号", Type: schema.AutoNumber, Format: "KH-{YYYYMMDD}-{0000}", Indexed: true}, // the key other systems find customers by (events, imports)
		{Name: "客户名称", Type: schema.Text, Required: true},
		{Name: "联系电话", Type: schema.Phone, Sensitive: true},
		{Name: "客户来源", Type: schema.Select, Options: options(Sources), Indexed: true},
		{Name: "所属行业", Type: schema.Select, Options: options(Industries)},
		{Name: "地区", Type: schema.Select, Options: options(Provinces), Indexed: true, Help: "省份"},
		{Name: "首次购买日期", Type: schema.Date, Indexed: true},
		{Name: "客户等级", Type: schema.Select, Options: Tiers, Indexed: true},
		{Name: "标签", Type: schema.Tags},
		{Name: "备注", Type: schema.TextArea},
		// What came before the orders kept here (a list moved from Excel): the rollups below
		// start from it.
		{Name: "历史最近消费日", Type: schema.Date, Help: "使用本系统之前的最近消费日（导入 Excel 时填入）"},
		{Name: "历史消费金额", Type: schema.Money, Help: "使用本系统之前的累计消费金额（导入 Excel 时填入）"},
		{Name: "历史购买次数", Type: schema.Number, Help: "使用本系统之前的累计下单次数（导入 Excel 时填入）"},
	})
	if err != nil {
		return nil, err
	}
	title := "客户名称"
	if _, err := cat.UpdateTable(ctx, by, customers.ID, nil, &title, nil); err != nil {
		return nil, err
	}
	link := func() *schema.Field {
		return &schema.Field{Name: "客户", Type: schema.Link, LinkTable: customers.ID, Required: true}
	}
	if _, err := cat.CreateTable(ctx, by, app.ID, "联系人", []*schema.Field{
		{Name: "姓名", Type: schema.Text, Required: true},
		link(),
		{Name: "职位", Type: schema.Text},
		{Name: "手机", Type: schema.Phone},
		{Name: "邮箱", Type: schema.Email},
		{Name: "关键决策人", Type: schema.Checkbox},
	}); err != nil {
		return nil, err
	}
	if _, err := cat.CreateTable(ctx, by, app.ID, "跟进记录", []*schema.Field{
		link(),
		{Name: "跟进方式", Type: schema.Select, Options: options(FollowUpWays)},
		{Name: "跟进时间", Type: schema.DateTime},
		{Name: "跟进内容", Type: schema.TextArea},
		{Name: "下次跟进日期", Type: schema.Date},
	}); err != nil {
		return nil, err
	}
	if _, err := cat.CreateTable(ctx, by, app.ID, "订单", []*schema.Field{
		{Name: "订单编号", Type: schema.AutoNumber, Format: "DD-{YYYYMMDD}-{0000}"},
		link(),
		{Name: "下单日期", Type: schema.Date},
		{Name: "订单金额", Type: schema.Money, Required: true},
		{Name: "订单状态", Type: schema.Select, Options: options(OrderStatuses)},
		{Name: "产品", Type: schema.Text},
	}); err != nil {
		return nil, err
	}
	if err := addRollups(ctx, by, cat, customers); err != nil {
		return nil, err
	}
	if _, err := cat.CreateTable(ctx, by, app.ID, "待办任务", []*schema.Field{
		{Name: "任务标题", Type: schema.Text, Required: true},
		{Name: "关联客户", Type: schema.Link, LinkTable: customers.ID},
		{Name: "截止时间", Type: schema.DateTime, Indexed: true},
		{Name: "状态", Type: schema.Select, Options: options(TaskStatuses), Default: "待处理"},
		{Name: "说明", Type: schema.TextArea},
	}); err != nil {
		return nil, err
	}
	quotes, err := cat.CreateTable(ctx, by, app.ID, "报价单", []*schema.Field{
		{Name: "报价单号", Type: schema.AutoNumber, Format: "BJ-{YYYYMMDD}-{0000}"},
		link(),
		{Name: "报价金额", Type: schema.Money, Required: true, Indexed: true},
		{Name: "状态", Type: schema.Select, Options: options(QuoteStatuses), Default: "草稿", Indexed: true},
		{Name: "报价说明", Type: schema.TextArea},
		{Name: "报价明细", Type: schema.Subform, Fields: []*schema.Field{
			{Name: "产品", Type: schema.Text, Required: true},
			{Name: "数量", Type: schema.Number, Default: 1.0},
			{Name: "单价", Type: schema.Money},
			{Name: "小计", Type: schema.Money, Computed: &schema.Computed{Kind: schema.Formula, Formula: "数量 * 单价"}},
		}},
	})
	if err != nil {
		return nil, err
	}
	// 报价金额 stays typed: quotes are priced as a whole as often as line by line, and 报价审批
	// routes on it from the first save; 明细合计 sums the lines beside it.
	if _, err := cat.AddField(ctx, by, quotes.ID, &schema.Field{Name: "明细合计", Help: "报价明细的小计之和",
		Computed: &schema.Computed{Kind: schema.Rollup, Table: "报价明细", Link: "报价单", Fn: "sum", Field: "小计"}}); err != nil {
		return nil, err
	}
	if _, err := cat.CreateTable(ctx, by, app.ID, "合同", []*schema.Field{
		{Name: "合同编号", Type: schema.AutoNumber, Format: "HT-{YYYYMMDD}-{0000}", Unique: true},
		{Name: "报价单", Type: schema.Link, LinkTable: quotes.ID},
		link(),
		{Name: "金额", Type: schema.Money, Required: true},
		{Name: "状态", Type: schema.Select, Options: options(ContractStatuses), Default: "待签署"},
	}); err != nil {
		return nil, err
	}
	if err := createTickets(ctx, by, cat, app.ID, customers.ID); err != nil {
		return nil, err
	}
	return app, nil
}

// addRollups gives 客户 its figures from its 订单 (those not 已取消) on top of its history, the
// three added together (backfilled in one grouped UPDATE over 订单), and places them after
// 首次购买日期: 最近消费日 = MAX(下单日期), 累计消费金额 = SUM(订单金额),
// 购买频率 = COUNT(订单), so grading follows the real orders (S2).
func addRollups(ctx context.Context, by schema.Changer, cat *schema.Catalog, customers *schema.Table) error {
	valid := json.RawMessage(`{"field":"订单状态","op":"ne","value":"已取消"}`)
	rollup := func(name, fn, field, base, help string) *schema.Field {
		return &schema.Field{Name: name, Indexed: true, Help: help,
			Computed: &schema.Computed{Kind: schema.Rollup, Table: "订单", Link: "客户", Fn: fn, Field: field, Where: valid, Base: base}}
	}
	added, err := cat.AddFields(ctx, by, customers.ID, []*schema.Field{
		rollup("最近消费日", "max", "下单日期", "历史最近消费日", "最近一笔订单的下单日期（不含已取消），或更早的历史最近消费日"),
		rollup("累计消费金额", "sum", "订单金额", "历史消费金额", "历史消费金额加上订单金额之和（不含已取消）"),
		rollup("购买频率", "count", "", "历史购买次数", "历史购买次数加上下单次数（不含已取消）"),
	})
	if err != nil {
		return err
	}
	var order []string
	for _, f := range customers.UserFields() {
		order = append(order, f.ID)
		if f.Name == "首次购买日期" {
			for _, r := range added {
				order = append(order, r.ID)
			}
		}
	}
	_, err = cat.UpdateTable(ctx, by, customers.ID, nil, nil, order)
	return err
}

// Scheme is the template's grading of 客户等级, scenario S2 of the seed: 高价值客户 when the last
// purchase is within 30 days, more than 5 purchases and over ¥10,000 in total; 潜力客户 when the
// customer came from a 市场活动 and first bought within 60 days; 普通客户 otherwise.
func Scheme() *grading.Scheme {
	leaf := func(field, op string, value any) *cond.Node { return &cond.Node{Field: field, Op: op, Value: value} }
	return &grading.Scheme{Name: "客户分级", Table: "客户", Field: "客户等级", Enabled: true, Default: "普通客户",
		Levels: []grading.Level{
			{Value: "高价值客户", When: &cond.Node{And: []*cond.Node{
				leaf("最近消费日", "withinLastDays", 30), leaf("购买频率", "gt", 5), leaf("累计消费金额", "gt", 10000)}}},
			{Value: "潜力客户", When: &cond.Node{And: []*cond.Node{
				leaf("客户来源", "eq", "市场活动"), leaf("首次购买日期", "withinLastDays", 60)}}},
		}}
}

// Rules are the template's default rules: S4 (a customer who becomes 高价值客户 gets a to-do
// for its 负责人, due in 24 hours, and the 负责人 a notification), the dynamic tag 高频客户
// (two or more orders in the last 30 days) and the tag 已跟进 (a 跟进记录 at least), which
// the flow 新客户跟进提醒 looks at; and the 工单's SLA deadlines and durations (ticketRules).
func Rules() []*rules.Rule {
	leaf := func(field, op string, value any) *cond.Node { return &cond.Node{Field: field, Op: op, Value: value} }
	return append([]*rules.Rule{
		{Name: "高价值客户跟进", Table: "客户", Enabled: true,
			Triggers: []rules.Trigger{{On: rules.OnChanged, Fields: []string{"客户等级"}}},
			When:     leaf("客户等级", "eq", "高价值客户"),
			Actions: []rules.Action{
				{Type: rules.ActCreate, Target: "待办任务", Values: map[string]any{
					"任务标题": `=CONCAT("跟进高价值客户：", 客户名称)`, "关联客户": "=ID", "截止时间": `=DATEADD(NOW(), 24, "hour")`, "负责人": "=负责人"}},
				{Type: rules.ActNotify, Owner: true, Title: "客户「{客户名称}」成为高价值客户", Body: "请在 24 小时内跟进（累计消费 {累计消费金额}）"},
			}},
		{Name: "高频客户", Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
			Related: &rules.Related{Table: "订单", Link: "客户", Where: leaf("下单日期", "withinLastDays", 30), Op: "gte", Value: 2},
			Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: "高频客户"}}},
		{Name: FollowedUpTag, Table: "客户", Enabled: true, Triggers: []rules.Trigger{{On: rules.OnAlways}},
			Related: &rules.Related{Table: "跟进记录", Link: "客户", Op: "gte", Value: 1},
			Actions: []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: FollowedUpTag}}},
	}, ticketRules()...)
}

// RFMModel is the template's RFM model: 客户 scored from their 订单 (latest 下单日期, number
// of orders, total 订单金额) into the eight Chinese segments. It is run at install and kept,
// so the daily pass refreshes it and the RFM 矩阵 board has scores from the start.
func RFMModel() grading.RFM {
	return grading.RFM{Table: "客户", Orders: "订单", OrderDate: "下单日期", OrderAmount: "订单金额", Segments: "zh"}
}

// InstallRules adds the template's grading scheme, rules and RFM model, each unless one of
// its name (or an RFM model of 客户) exists. The scheme grades first, so customers graded at
// install raise no to-dos; the RFM model's first run is queued (the job workers do it).
func InstallRules(ctx context.Context, eng *rules.Engine) error {
	if _, err := eng.Grading.Scheme("客户分级"); err != nil {
		if _, _, err := eng.Grading.Save(ctx, access.System, Scheme()); err != nil {
			return err
		}
	}
	for _, r := range Rules() {
		if _, err := eng.Rule(r.Name); err == nil {
			continue
		}
		if _, _, err := eng.SaveRule(ctx, access.System, r); err != nil {
			return err
		}
	}
	return installRFM(ctx, eng)
}

// installRFM keeps the template's RFM model, unless 客户 has one, and queues its first run.
func installRFM(ctx context.Context, eng *rules.Engine) error {
	models, err := eng.Grading.RFMModels(ctx)
	if err != nil {
		return err
	}
	m := RFMModel()
	cust, err := eng.Catalog.Table(m.Table)
	if err != nil {
		return err
	}
	for _, k := range models {
		if k.Table == cust.ID {
			return nil
		}
	}
	return eng.Grading.KeepRFM(ctx, access.System, m)
}

// Todos are the template's to-dos (待办任务) as the workbench lists a person's open ones.
func Todos() workbench.RecordTasks {
	return workbench.RecordTasks{Table: "待办任务", Title: "任务标题", Due: "截止时间", Status: "状态", Done: []string{"已完成"}}
}

// Grades is the field the workbench counts a person's customers by (客户 / 客户等级).
func Grades() *workbench.Grades { return &workbench.Grades{Table: "客户", Field: "客户等级"} }

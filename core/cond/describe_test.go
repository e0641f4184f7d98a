package cond

import "testing"

func TestDescribe(t *testing.T) {
	tbl := testTable()
	cases := []struct{ input, zh, en string }{
		{`{"and":[{"field":"last","op":"withinLastDays","value":30},{"field":"freq","op":"gt","value":5},{"field":"累计消费金额","op":"gt","value":10000}]}`,
			"最近消费日 在最近30天内（含今天） 且 购买频率 大于 5 且 累计消费金额 大于 10000",
			"最近消费日 is within the last 30 days (today included) and 购买频率 is greater than 5 and 累计消费金额 is greater than 10000"},
		{`{"or":[{"and":[{"field":"level","op":"eq","value":"高价值客户"},{"field":"amount","op":"gte","value":0.5}]},{"field":"rep","op":"eq","value":"$me"}]}`,
			"（客户等级 等于 高价值客户 且 累计消费金额 大于等于 0.5） 或 销售 等于 当前用户",
			"(客户等级 is 高价值客户 and 累计消费金额 is greater than or equal to 0.5) or 销售 is the current user"},
		{`{"field":"level","op":"in","value":["普通客户","流失客户"]}`, "客户等级 属于 [普通客户、流失客户]", "客户等级 is one of [普通客户, 流失客户]"},
		{`{"field":"level","op":"nin","value":["普通客户"]}`, "客户等级 不属于 [普通客户]", "客户等级 is not one of [普通客户]"},
		{`{"field":"level","op":"ne","value":"高价值客户"}`, "客户等级 不等于 高价值客户", "客户等级 is not 高价值客户"},
		{`{"field":"amount","op":"lt","value":1}`, "累计消费金额 小于 1", "累计消费金额 is less than 1"},
		{`{"field":"amount","op":"lte","value":1}`, "累计消费金额 小于等于 1", "累计消费金额 is less than or equal to 1"},
		{`{"field":"amount","op":"between","value":[0,10000]}`, "累计消费金额 介于 0 和 10000 之间", "累计消费金额 is between 0 and 10000"},
		{`{"field":"name","op":"contains","value":"张"}`, "客户名称 包含 张", "客户名称 contains 张"},
		{`{"field":"tags","op":"notContains","value":["a","b"]}`, "标签 不包含 [a、b]", "标签 does not contain [a, b]"},
		{`{"field":"phone","op":"empty"}`, "手机 为空", "手机 is empty"},
		{`{"field":"phone","op":"notEmpty"}`, "手机 不为空", "手机 is not empty"},
		{`{"field":"visit","op":"before","value":"2026-11-23"}`, "最近拜访 早于 2026-11-23", "最近拜访 is before 2026-11-23"},
		{`{"field":"visit","op":"after","value":"2026-11-23 14:30"}`, "最近拜访 晚于 2026-11-23 14:30", "最近拜访 is after 2026-11-23 14:30"},
		{`{"field":"last","op":"withinNextDays","value":7}`, "最近消费日 在未来7天内", "最近消费日 is within the next 7 days"},
		{`{"field":"last","op":"olderThanDays","value":90}`, "最近消费日 早于90天前", "最近消费日 is more than 90 days ago"},
		{`{"field":"vip","op":"eq","value":true}`, "VIP 等于 是", "VIP is yes"},
		{`{"not":{"or":[{"field":"vip","op":"eq","value":true},{"field":"id","op":"lt","value":3}]}}`,
			"并非（VIP 等于 是 或 ID 小于 3）", "not (VIP is yes or ID is less than 3)"},
		{`{"and":[{"or":[{"field":"name","op":"empty"}]},{"or":[]}]}`, "客户名称 为空 且 全部记录", "客户名称 is empty and all records"},
		{`{"and":[]}`, "全部记录", "all records"},
		{`{"or":[{"field":"rep","op":"eq","value":"$myDepartments"},{"field":"rep","op":"in","value":["$mySubDepartments",8]}]}`,
			"销售 等于 我的部门的成员 或 销售 属于 [我的部门及下级的成员、8]",
			"销售 is the people of my departments or 销售 is one of [the people of my departments and those below them, 8]"},
		{`{"or":[{"field":"部门","op":"eq","value":"$myDepartments"},{"field":"dept","op":"in","value":["$mySubDepartments"]}]}`,
			"部门 等于 我的部门 或 部门 属于 [我的部门及下级部门]",
			"部门 is my departments or 部门 is one of [my departments and those below them]"},
		{``, "全部记录", "all records"},
		{`{"field":"gone","op":"eq","value":1}`, "gone 等于 1", "gone is 1"},
	}
	for _, c := range cases {
		n, err := Parse([]byte(c.input))
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.input, err)
		}
		if got := Describe(n, tbl, "zh"); got != c.zh {
			t.Errorf("Describe(%s, zh) = %q, want %q", c.input, got, c.zh)
		}
		if got := Describe(n, tbl, "en"); got != c.en {
			t.Errorf("Describe(%s, en) = %q, want %q", c.input, got, c.en)
		}
	}
	if got := Describe(nil, tbl, "zh"); got != "全部记录" {
		t.Errorf("Describe(nil) = %q", got)
	}
}

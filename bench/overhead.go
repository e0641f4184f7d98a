package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/records"
	"tierbase/engines/rules"
	"tierbase/templates/crm"
)

// ruleOverhead measures saving one 客户 with 20 active rules on the table against the same
// save with none: two data directories, creates alternating between them so both see the
// same machine noise; the figure is the difference of the p99 latencies.
func ruleOverhead(n int) {
	ctx := context.Background()
	open := func(withRules bool) *app.App {
		dir, err := os.MkdirTemp(*work, "overhead")
		must(err)
		a, err := app.Open(dir)
		must(err)
		_, err = crm.Install(ctx, access.System, a.Catalog)
		must(err)
		u, err := a.Users.Create(ctx, access.System, "bench@example.com", "password-1", "测试", "member")
		must(err)
		if withRules {
			for i := 0; i < 20; i++ {
				r := &rules.Rule{Name: fmt.Sprintf("规则%d", i), Table: "客户", Enabled: true,
					Triggers: []rules.Trigger{{On: rules.OnCreated}, {On: rules.OnChanged, Fields: []string{"累计消费金额"}}},
					When: &cond.Node{And: []*cond.Node{{Field: "累计消费金额", Op: "gt", Value: 1000 * i},
						{Field: "最近消费日", Op: "withinLastDays", Value: 30}}}}
				switch i % 4 {
				case 0:
					r.Actions = []rules.Action{{Type: rules.ActAddTag, Field: "标签", Tag: fmt.Sprintf("标签%d", i)}}
				case 1:
					r.Actions = []rules.Action{{Type: rules.ActSet, Field: "备注", Formula: `IF(购买频率 > 5, "常客", "新客")`}}
				case 2:
					r.Actions = []rules.Action{{Type: rules.ActNotify, Users: []int64{u.ID}, Title: "{客户名称}"}}
					r.When = &cond.Node{Field: "累计消费金额", Op: "gt", Value: 1e12} // never fires: only evaluated
				default:
					r.Actions = []rules.Action{{Type: rules.ActSet, Field: "客户等级", Value: "潜力客户"}}
				}
				_, _, err := a.Rules.SaveRule(ctx, access.System, r)
				must(err)
			}
		}
		return a
	}
	plain, ruled := open(false), open(true)
	defer plain.Close()
	defer ruled.Close()
	day := time.Now().Format("2006-01-02")
	p99 := func(l []float64) float64 { slices.Sort(l); return l[len(l)*99/100] }
	// Three rounds of n saves on each side, alternating; the median round is reported.
	type round struct{ with, without, p50with, p50without float64 }
	var rounds []round
	for r := 0; r < 3; r++ {
		var lat [2][]float64
		for i := 0; i < 2*n; i++ {
			a := []*app.App{plain, ruled}[i%2]
			t, err := a.Catalog.Table("客户")
			must(err)
			in := records.Input{"客户名称": fmt.Sprintf("客户%d", i), "历史消费金额": i % 30000, "历史购买次数": i % 9, "历史最近消费日": day}
			start := time.Now()
			_, err = a.Records.Create(ctx, access.System, t, in)
			must(err)
			lat[i%2] = append(lat[i%2], float64(time.Since(start).Microseconds())/1000)
		}
		rounds = append(rounds, round{p99(lat[1]), p99(lat[0]), lat[1][len(lat[1])/2], lat[0][len(lat[0])/2]})
	}
	slices.SortFunc(rounds, func(a, b round) int { return cmp.Compare(a.with-a.without, b.with-b.without) })
	m := rounds[1]
	record("saving one 客户 with 20 active rules on its table (in process, p99; median of 3 rounds)",
		fmt.Sprintf("p99 %.2f ms vs %.2f ms with no rules: overhead %.2f ms (p50 %.2f vs %.2f ms)", m.with, m.without, m.with-m.without, m.p50with, m.p50without),
		"overhead ≤ 1 ms", "the same save with no rules, same run")
}

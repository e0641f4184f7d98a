package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/engines/grading"
	"tierbase/engines/rules"
	"time"

	"tierbase/templates/crm"
)

func userCreate(args []string, stdout, stderr io.Writer) error {
	fs := flags("user create", "Create a user who can sign in.", stderr)
	data := dataFlag(fs)
	email := fs.String("email", "", "email used to sign in (required)")
	password := fs.String("password", "", "password, at least 8 characters (required)")
	name := fs.String("name", "", "display name (defaults to the part of the email before @)")
	role := fs.String("role", "member", "admin or member")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("email", *email); err != nil {
		return err
	}
	if err := required("password", *password); err != nil {
		return err
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Users.Create(ctx(), access.System, *email, *password, *name, *role)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s user %s (id %d).\n", u.Role, u.Email, u.ID)
	return nil
}

func demo(args []string, stdout, stderr io.Writer) error {
	fs := flags("demo", "Install the 客户管理 tables and fill them with generated demo data.", stderr)
	data := dataFlag(fs)
	n := fs.Int("customers", 2000, "number of customers to generate")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and day give the same data")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 0 || *n > 50_000_000 {
		return fmt.Errorf("--customers must be between 0 and 50000000, got %d", *n)
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	debug.SetGCPercent(400) // a short-lived bulk job: trade memory for less GC work
	start := time.Now()
	bar := newProgress(stderr, "生成客户 customers")
	sum, quotes, err := a.InstallDemo(ctx(), crm.DemoOptions{Customers: *n, Seed: *seed, Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo data written in %.1fs: %d 客户, %d 联系人, %d 跟进记录, %d 订单, %d 报价单 through 报价审批.\n",
		time.Since(start).Seconds(), sum.Customers, sum.Contacts, sum.FollowUps, sum.Orders, quotes)
	fmt.Fprintf(stdout, "Sales users (password %s): %v\n", crm.DemoPassword, sum.Users)
	if !a.Users.HasAdmin() {
		fmt.Fprintln(stdout, "Create an admin with: tierbase user create --data", *data, "--email you@example.com --password … --role admin")
	}
	return nil
}

func rulesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		return fmt.Errorf("usage: tierbase rules run [--data DIR] [--table NAME]")
	}
	fs := flags("rules run", "Run now every enabled grading scheme, and every enabled scheduled or always-kept rule (of one table with --table); then carry out the queued side effects (safe beside a running server).", stderr)
	data := dataFlag(fs)
	table := fs.String("table", "", "only the schemes and rules of this table")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(fs, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if *table != "" {
		if _, err := a.Catalog.Table(*table); err != nil {
			return err
		}
	}
	of := func(tableID string) (*schema.Table, bool) {
		t, err := a.Catalog.Table(tableID)
		return t, err == nil && (*table == "" || t.Name == *table || t.ID == *table)
	}
	var schemes []*grading.Scheme
	for _, s := range a.Grading.Schemes() {
		if _, ok := of(s.Table); ok && s.Enabled {
			schemes = append(schemes, s)
		}
	}
	var rulesToRun []*rules.Rule
	for _, r := range a.Rules.Rules() {
		runnable := slices.ContainsFunc(r.Triggers, func(t rules.Trigger) bool { return t.On == rules.OnSchedule || t.On == rules.OnAlways })
		if _, ok := of(r.Table); ok && r.Enabled && runnable {
			rulesToRun = append(rulesToRun, r)
		}
	}
	start := time.Now()
	bar := newProgress(stderr, "规则 rules")
	steps := len(schemes) + len(rulesToRun)
	total, queued := 0, 0
	for i, s := range schemes {
		t, _ := of(s.Table)
		imp, err := a.Grading.Preview(ctx(), access.System, s, "zh")
		if err != nil {
			return err
		}
		n, err := a.Grading.Regrade(ctx(), access.System, s)
		if err != nil {
			return err
		}
		bar.update(i+1, steps)
		total += n
		fmt.Fprintf(stdout, "%s（%s）: %d 条记录变化\n", s.Name, t.Name, n)
		for _, m := range imp.Moves {
			from := m.From
			if from == "" {
				from = "（空）"
			}
			fmt.Fprintf(stdout, "  %s → %s: %d\n", from, m.To, m.Count)
		}
	}
	for i, r := range rulesToRun {
		t, _ := of(r.Table)
		res, err := a.Rules.RunRule(ctx(), access.System, r.ID)
		if err != nil {
			return fmt.Errorf("规则「%s」: %w", r.Name, err)
		}
		bar.update(len(schemes)+i+1, steps)
		total += res.Changed
		queued += res.Queued
		fmt.Fprintf(stdout, "规则「%s」（%s）: 匹配 %d 条，修改 %d 处，排队 %d 个通知/新记录\n", r.Name, t.Name, res.Matched, res.Changed, res.Queued)
	}
	bar.done()
	fmt.Fprintf(stdout, "%d records changed in %.1fs\n", total, time.Since(start).Seconds())
	// Carry out the queued side effects (these and any left waiting). Jobs are claimed one
	// worker at a time, so a running server working the same queue runs none of them twice.
	ran, err := a.Jobs.Drain(ctx())
	if ran > 0 || queued > 0 {
		fmt.Fprintf(stdout, "%d queued jobs (records to create, notifications) carried out\n", ran)
	}
	return err
}

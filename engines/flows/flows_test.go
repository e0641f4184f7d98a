package flows_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/cond"
	"tierbase/core/org"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/users"
	"tierbase/engines/flows"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// world is a data directory with a 报销 table and a small organisation: 销售部 (主管 张总)
// above 华东区 (主管 王经理), where 李娜 and 赵敏 work; 周敏 is 财务总监, 吴婷 财务; all of them
// read every 报销, 外人 none; and an administrator.
type world struct {
	*app.App
	dir    string
	now    time.Time
	t      *schema.Table // 报销
	paid   *schema.Table // 付款单, linked to a 报销
	people map[string]int64
	roles  map[string]string
}

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	a, err := app.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{App: a, dir: dir, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), people: map[string]int64{}, roles: map[string]string{}}
	t.Cleanup(func() { w.App.Close() })
	t.Cleanup(func() { w.checkCounts(t) })
	a.SetClock(func() time.Time { return w.now }, time.UTC)
	ctx := context.Background()
	w.t, err = a.Catalog.CreateTable(ctx, access.System, "", "报销", []*schema.Field{
		{Name: "事由", Type: schema.Text}, {Name: "金额", Type: schema.Money}, {Name: "经办人", Type: schema.User},
		{Name: "截止日期", Type: schema.Date}, {Name: "状态", Type: schema.Text}})
	if err != nil {
		t.Fatal(err)
	}
	w.paid, err = a.Catalog.CreateTable(ctx, access.System, "", "付款单", []*schema.Field{
		{Name: "报销", Type: schema.Link, LinkTable: w.t.ID}, {Name: "金额", Type: schema.Money, Required: true}})
	if err != nil {
		t.Fatal(err)
	}
	work := func() *access.TablePerm {
		return &access.TablePerm{Actions: []access.TableAction{access.View, access.Add, access.Edit}, Read: access.DataScope{Kind: access.ScopeAll},
			Change: access.DataScope{Kind: access.ScopeAll}}
	}
	for _, name := range []string{"员工", "销售总监", "财务总监", "财务"} {
		r, err := a.Org.SaveRole(ctx, access.System, &access.Role{Name: name, Tables: map[string]*access.TablePerm{w.t.ID: work(), w.paid.ID: work()}})
		if err != nil {
			t.Fatal(err)
		}
		w.roles[name] = r.ID
	}
	sales, err := a.Org.CreateDepartment(ctx, access.System, "销售部", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	east, err := a.Org.CreateDepartment(ctx, access.System, "华东区", sales.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := a.Org.CreateDepartment(ctx, access.System, "财务部", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []struct {
		name, role string
		dept       int64
	}{{"张总", "销售总监", sales.ID}, {"王经理", "", east.ID}, {"李娜", "", east.ID}, {"赵敏", "", east.ID}, {"周敏", "财务总监", fin.ID}, {"吴婷", "财务", fin.ID}} {
		roles := []string{w.roles["员工"]}
		if p.role != "" {
			roles = append(roles, w.roles[p.role])
		}
		id, err := a.Users.Enroll(ctx, access.System, fmt.Sprintf("u%d@example.com", i), p.name, roles, []int64{p.dept})
		if err != nil {
			t.Fatal(err)
		}
		w.people[p.name] = id
	}
	if w.people["外人"], err = a.Users.Enroll(ctx, access.System, "outsider@example.com", "外人", []string{access.MemberRoleID}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Users.Create(ctx, access.System, "admin@example.com", "password-1", "管理员", "admin"); err != nil {
		t.Fatal(err)
	}
	for dept, head := range map[int64]string{sales.ID: "张总", east.ID: "王经理", fin.ID: "周敏"} {
		hs := []int64{w.people[head]}
		if _, err := a.Org.UpdateDepartment(ctx, access.System, dept, org.DepartmentPatch{Heads: &hs}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// checkCounts fails the test unless the kept counts of open tasks and copies (the header's)
// are what counting the tasks gives: every test of the engine ends with it.
func (w *world) checkCounts(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	read := func(q string) map[string]int {
		rows, err := w.DB.R.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var user int64
			var state string
			var n int
			if err := rows.Scan(&user, &state, &n); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprint(user, state)] = n
		}
		return out
	}
	counted := read("SELECT user_id, state, COUNT(*) FROM _flow_tasks WHERE state IN ('open', 'cc') GROUP BY user_id, state")
	kept := read("SELECT user_id, state, n FROM _flow_task_counts WHERE n <> 0")
	if fmt.Sprint(counted) != fmt.Sprint(kept) {
		t.Errorf("the kept counts %v, counting the tasks %v", kept, counted)
	}
}

// as is the actor of a person of the world.
func (w *world) as(name string) access.Actor {
	u, ok := w.Users.Get(w.people[name])
	if !ok {
		panic(name)
	}
	return w.Users.ActorOf(u)
}

// claim makes a 报销 record of amount yuan.
func (w *world) claim(t testing.TB, amount float64) int64 {
	t.Helper()
	r, err := w.Records.Create(context.Background(), access.System, w.t, records.Input{"事由": "差旅", "金额": amount, "经办人": w.people["赵敏"]})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID()
}

// publish saves and publishes a flow of nodes on the 报销 table.
func (w *world) publish(t testing.TB, nodes ...*flows.Node) *flows.Flow {
	t.Helper()
	f, err := w.Flows.Save(context.Background(), access.System, &flows.Flow{Table: w.t.Name, Name: "报销审批", Enabled: true, Nodes: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if f, err = w.Flows.Publish(context.Background(), access.System, f.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func (w *world) start(t testing.TB, f *flows.Flow, by string, record int64) int64 {
	t.Helper()
	id, err := w.Flows.Start(context.Background(), w.as(by), f.ID, record, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// todo is the ids of a person's open tasks, newest first.
func (w *world) todo(t *testing.T, name string) []int64 {
	t.Helper()
	items, err := w.Flows.Box(context.Background(), w.as(name), flows.BoxTodo, flows.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.TaskID)
	}
	return ids
}

// one is the one open task of a person.
func (w *world) one(t *testing.T, name string) int64 {
	t.Helper()
	ids := w.todo(t, name)
	if len(ids) != 1 {
		t.Fatalf("%s has %d open tasks, want 1", name, len(ids))
	}
	return ids[0]
}

func (w *world) act(t *testing.T, name, action string, in flows.Input) {
	t.Helper()
	if _, err := w.Flows.Act(context.Background(), w.as(name), w.one(t, name), action, in); err != nil {
		t.Fatalf("%s %s: %v", name, action, err)
	}
}

func (w *world) state(t *testing.T, id int64) string {
	t.Helper()
	in, err := w.Flows.Instance(context.Background(), access.System, id)
	if err != nil {
		t.Fatal(err)
	}
	return in.State
}

// timeline is the instance's events as "action@node" words.
func (w *world) timeline(t *testing.T, id int64) string {
	t.Helper()
	in, err := w.Flows.Instance(context.Background(), access.System, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range in.Events {
		s := ev.Action
		if ev.NodeName != "" {
			s += "@" + ev.NodeName
		}
		if ev.UserName != "" {
			s += "/" + ev.UserName
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func approve(name string, who *flows.Who, mode string) *flows.Node {
	return &flows.Node{ID: name, Type: flows.Approve, Name: name, Who: who, Mode: mode}
}

func end() *flows.Node { return &flows.Node{ID: "end", Type: flows.End, Name: "结束"} }

func code(err error) string {
	if p := problem.As(err); p != nil {
		if len(p.Details) > 0 {
			return p.Details[0].Code + " " + p.Details[0].Path
		}
		return p.Code
	}
	return fmt.Sprint(err)
}

func TestValidateNamesTheNode(t *testing.T) {
	w := newWorld(t)
	director := &flows.Who{Roles: []string{w.roles["销售总监"]}}
	branch := func(branches ...*flows.Branch) *flows.Node {
		return &flows.Node{ID: "amount", Type: flows.Condition, Name: "金额判断", Branches: branches}
	}
	big := &flows.Branch{Name: "大额", When: &cond.Node{Field: "金额", Op: "gt", Value: 100000}}
	for _, c := range []struct {
		name  string
		nodes []*flows.Node
		want  string
		words string // in the Chinese message
	}{
		{"no end", []*flows.Node{approve("审批", director, "")}, "flow_no_end", "结束"},
		{"no approver", []*flows.Node{approve("总监审批", &flows.Who{}, ""), end()}, "flow_no_approver 总监审批", "总监审批"},
		{"no default", []*flows.Node{branch(big, &flows.Branch{Name: "小额", When: &cond.Node{Field: "金额", Op: "lte", Value: 100000}}), end()},
			"flow_no_default amount", "金额判断"},
		{"default first", []*flows.Node{branch(&flows.Branch{Name: "其他", Default: true}, big), end()}, "flow_default_not_last amount", "其他"},
		{"bad condition", []*flows.Node{branch(&flows.Branch{Name: "大额", When: &cond.Node{Field: "利润", Op: "gt", Value: 1}}, &flows.Branch{Name: "默认", Default: true}), end()},
			"unknown_field amount.branches[0].when", "利润"},
		{"unknown member field", []*flows.Node{approve("经办人审批", &flows.Who{Field: "审批人"}, ""), end()}, "flow_unknown_field 经办人审批", "审批人"},
		{"not a member field", []*flows.Node{approve("经办人审批", &flows.Who{Field: "事由"}, ""), end()}, "flow_not_user_field 经办人审批", "事由"},
		{"unknown role", []*flows.Node{approve("审批", &flows.Who{Roles: []string{"role_x"}}, ""), end()}, "flow_unknown_role 审批", "role_x"},
		{"bad mode", []*flows.Node{approve("审批", director, "some"), end()}, "flow_bad_mode 审批", "some"},
		{"vote without percent", []*flows.Node{approve("审批", director, flows.ModeVote), end()}, "flow_bad_percent 审批", "票签"},
		{"duplicate id", []*flows.Node{approve("审批", director, ""), approve("审批", director, ""), end()}, "flow_node_duplicate 审批", "重复"},
		{"after end", []*flows.Node{end(), approve("审批", director, ""), {ID: "end2", Type: flows.End}}, "flow_after_end 审批", "结束"},
		{"unknown type", []*flows.Node{{ID: "x", Type: "loop", Name: "循环"}, end()}, "flow_bad_type x", "loop"},
		{"fill without fields", []*flows.Node{{ID: "f", Type: flows.Fill, Name: "补充", Who: director, Fields: map[string]string{"事由": flows.FieldRead}}, end()}, "flow_fill_no_fields f", "补充"},
		{"data on no table", []*flows.Node{{ID: "d", Type: flows.DataOp, Name: "生成", Data: &flows.Data{Op: flows.DataCreate, Table: "合同", Values: map[string]any{"金额": 1}}}, end()}, "flow_data_table d", "合同"},
		{"data with a bad formula", []*flows.Node{{ID: "d", Type: flows.DataOp, Name: "生成", Data: &flows.Data{Op: flows.DataUpdate, Values: map[string]any{"金额": "={利润} * 2"}}}, end()}, "flow_data_formula d", "利润"},
		{"data of a wrong value", []*flows.Node{{ID: "d", Type: flows.DataOp, Name: "生成", Data: &flows.Data{Op: flows.DataUpdate, Values: map[string]any{"金额": "很多"}}}, end()}, "flow_data_value d", "金额"},
	} {
		_, err := w.Flows.Save(context.Background(), access.System, &flows.Flow{Table: w.t.Name, Name: "报销审批", Nodes: c.nodes})
		if got := code(err); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.words) {
			t.Errorf("%s: %q does not say %s", c.name, msg, c.words)
		}
		if en := problem.As(err).Message("en"); strings.Contains(en, "节点") || strings.Contains(en, "「") {
			t.Errorf("%s: English message %q", c.name, en)
		}
	}
	if list, err := w.Flows.Flows(context.Background(), access.System, w.t.Name); err != nil || len(list) != 0 {
		t.Fatalf("invalid flows were saved: %v %v", list, err)
	}
}

// s6 is 报价审批's shape on 报销: 销售总监 approves; above 100000 财务总监 too; 财务 is copied.
func (w *world) s6(t *testing.T) *flows.Flow {
	return w.publish(t,
		approve("总监审批", &flows.Who{Roles: []string{w.roles["销售总监"]}}, ""),
		&flows.Node{ID: "amount", Type: flows.Condition, Name: "金额判断", Branches: []*flows.Branch{
			{Name: "大额", When: &cond.Node{Field: "金额", Op: "gt", Value: 100000}, Nodes: []*flows.Node{
				approve("财务审批", &flows.Who{Roles: []string{w.roles["财务总监"]}}, "")}},
			{Name: "默认", Default: true},
		}},
		&flows.Node{ID: "cc", Type: flows.CC, Name: "抄送财务", Who: &flows.Who{Roles: []string{w.roles["财务"]}}},
		&flows.Node{ID: "tell", Type: flows.Notify, Name: "通知经办人", Who: &flows.Who{Field: "经办人"}, Title: "报销已批准"},
		end())
}

func TestDescribe(t *testing.T) {
	w := newWorld(t)
	f := w.s6(t)
	names := func(id int64) string { u, _ := w.Users.Get(id); return u.Name }
	roleName := func(id string) string { r, _ := w.Org.Role(id); return r.Name }
	got := strings.Join(flows.Describe(f, w.t, names, roleName, "zh"), "\n")
	want := `审批「总监审批」：角色 销售总监，或签（一人同意即可）
条件分支「金额判断」
  分支「大额」：如果 金额 大于 100000
    审批「财务审批」：角色 财务总监，或签（一人同意即可）
  默认
抄送「抄送财务」：角色 财务
通知「通知经办人」：告诉 字段 经办人 中的成员「报销已批准」
结束`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if en := strings.Join(flows.Describe(f, w.t, names, roleName, "en"), "\n"); !strings.Contains(en, "branch \"大额\": if 金额") || !strings.Contains(en, "approval \"总监审批\": role 销售总监, any one approves") {
		t.Fatalf("English:\n%s", en)
	}

	// A 数据操作 says what it writes: a field of the flow's record, a formula, a value.
	data := &flows.Flow{Nodes: []*flows.Node{{ID: "pay", Type: flows.DataOp, Name: "生成付款单", Data: &flows.Data{Op: flows.DataCreate, Table: "付款单",
		Values: map[string]any{"报销": "={id}", "金额": "=金额 * 0.9", "备注": "自动"}}}, end()}}
	got = strings.Join(flows.Describe(data, w.t, names, roleName, "zh"), "\n")
	if want := "数据操作「生成付款单」：在 付款单 新增记录，备注 设为 自动，报销 设为 本记录的 ID，金额 设为 公式 =金额 * 0.9\n结束"; got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestApprovalWithBranches(t *testing.T) {
	w := newWorld(t)
	f := w.s6(t)
	ctx := context.Background()

	big := w.start(t, f, "李娜", w.claim(t, 150000))
	w.act(t, "张总", flows.ActApprove, flows.Input{Comment: "同意"})
	if w.state(t, big) != flows.Running {
		t.Fatal("a big claim passed with one approval")
	}
	w.act(t, "周敏", flows.ActApprove, flows.Input{})
	if s := w.state(t, big); s != flows.Approved {
		t.Fatalf("state %s", s)
	}
	if got, want := w.timeline(t, big), "start/李娜 arrive@总监审批 approve@总监审批/张总 arrive@财务审批 approve@财务审批/周敏 cc@抄送财务 notify@通知经办人 end@结束"; got != want {
		t.Fatalf("timeline\n%s\nwant\n%s", got, want)
	}

	small := w.start(t, f, "李娜", w.claim(t, 5000))
	w.act(t, "张总", flows.ActApprove, flows.Input{})
	if s := w.state(t, small); s != flows.Approved {
		t.Fatalf("small claim: %s", s)
	}
	if len(w.todo(t, "周敏")) != 0 {
		t.Fatal("财务总监 got a small claim")
	}
	// 财务 was copied twice, 赵敏 (经办人) told twice, 李娜 told of both results.
	cc, err := w.Flows.Box(ctx, w.as("吴婷"), flows.BoxCC, flows.Page{})
	if err != nil || len(cc) != 2 || cc[0].InstanceID != small || cc[0].NodeName != "抄送财务" {
		t.Fatalf("cc box %+v %v", cc, err)
	}
	for name, want := range map[string]string{"赵敏": "报销已批准", "李娜": "报销审批：已通过", "周敏": "待审批：报销审批"} {
		notes, _, err := w.Inbox.List(ctx, w.people[name], false, 10)
		if err != nil || len(notes) == 0 || notes[0].Title != want {
			t.Fatalf("%s's inbox %+v %v, want %s", name, notes, err, want)
		}
	}
	done, err := w.Flows.Box(ctx, w.as("张总"), flows.BoxDone, flows.Page{})
	if err != nil || len(done) != 2 || done[0].Action != flows.ActApprove || done[1].InstanceID != big {
		t.Fatalf("done box %+v %v", done, err)
	}
	mine, err := w.Flows.Box(ctx, w.as("李娜"), flows.BoxMine, flows.Page{})
	if err != nil || len(mine) != 2 || mine[0].InstanceID != small || mine[0].InstanceState != flows.Approved {
		t.Fatalf("mine box %+v %v", mine, err)
	}
	if _, err := w.Flows.Start(ctx, w.as("李娜"), f.ID, 999, nil); code(err) != "not_found" {
		t.Fatalf("start on a missing record: %v", err)
	}
}

func TestModes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	three := &flows.Who{Users: []int64{w.people["王经理"], w.people["张总"], w.people["周敏"]}}

	t.Run("或签", func(t *testing.T) {
		f := w.publish(t, approve("审批", three, flows.ModeOr), end())
		id := w.start(t, f, "李娜", w.claim(t, 1))
		loser := w.one(t, "周敏")
		w.act(t, "张总", flows.ActApprove, flows.Input{Comment: "可以"})
		if w.state(t, id) != flows.Approved || len(w.todo(t, "王经理")) != 0 {
			t.Fatal("或签 did not pass on one yes")
		}
		// the yes keeps its comment; the others' tasks are called off in its name, without it
		in, err := w.Flows.Instance(ctx, w.as("李娜"), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range in.Tasks {
			want := "cancelled approve "
			if tk.UserName == "张总" {
				want = "done approve 可以"
			}
			if got := fmt.Sprintf("%s %s %s", tk.State, tk.Action, tk.Comment); tk.ActedBy != w.people["张总"] || got != want {
				t.Fatalf("%s's task: %s (acted by %d), want %s", tk.UserName, got, tk.ActedBy, want)
			}
		}
		_, err = w.Flows.Act(ctx, w.as("周敏"), loser, flows.ActApprove, flows.Input{})
		if p := problem.As(err); p == nil || p.Status != 409 || !strings.Contains(p.Message("zh"), "张总") || !strings.Contains(p.Message("en"), "张总 already approved") {
			t.Fatalf("late approver: %v", err)
		}
	})
	t.Run("会签", func(t *testing.T) {
		f := w.publish(t, approve("审批", three, flows.ModeAnd), end())
		id := w.start(t, f, "李娜", w.claim(t, 1))
		w.act(t, "张总", flows.ActApprove, flows.Input{})
		w.act(t, "王经理", flows.ActApprove, flows.Input{})
		if w.state(t, id) != flows.Running {
			t.Fatal("会签 passed before all approved")
		}
		w.act(t, "周敏", flows.ActApprove, flows.Input{})
		if w.state(t, id) != flows.Approved {
			t.Fatal("会签 did not pass when all approved")
		}
	})
	t.Run("依次", func(t *testing.T) {
		f := w.publish(t, approve("审批", three, flows.ModeSeq), end())
		id := w.start(t, f, "李娜", w.claim(t, 1))
		if len(w.todo(t, "张总")) != 0 || len(w.todo(t, "周敏")) != 0 {
			t.Fatal("依次: later approvers got their task at once")
		}
		for _, name := range []string{"王经理", "张总", "周敏"} {
			if w.state(t, id) != flows.Running {
				t.Fatalf("passed before %s", name)
			}
			w.act(t, name, flows.ActApprove, flows.Input{})
		}
		if w.state(t, id) != flows.Approved {
			t.Fatal("依次 did not pass")
		}
	})
	t.Run("票签", func(t *testing.T) {
		f := w.publish(t, &flows.Node{ID: "vote", Type: flows.Approve, Name: "投票", Who: three, Mode: flows.ModeVote, Percent: 60}, end())
		id := w.start(t, f, "李娜", w.claim(t, 1))
		w.act(t, "张总", flows.ActApprove, flows.Input{})
		w.act(t, "王经理", flows.ActReject, flows.Input{})
		if w.state(t, id) != flows.Running {
			t.Fatal("票签 decided with one vote to come")
		}
		w.act(t, "周敏", flows.ActApprove, flows.Input{}) // 2 of 3 = 67% ≥ 60%
		if w.state(t, id) != flows.Approved {
			t.Fatal("票签 did not pass at 67%")
		}
		id = w.start(t, f, "李娜", w.claim(t, 2))
		w.act(t, "张总", flows.ActReject, flows.Input{})
		w.act(t, "王经理", flows.ActReject, flows.Input{}) // at most 33% now
		if w.state(t, id) != flows.Rejected || len(w.todo(t, "周敏")) != 0 {
			t.Fatal("票签 did not fail once it could not pass")
		}
	})
	t.Run("skip who approved", func(t *testing.T) {
		f := w.publish(t, approve("一审", &flows.Who{Users: []int64{w.people["张总"]}}, ""),
			&flows.Node{ID: "二审", Type: flows.Approve, Name: "二审", Who: &flows.Who{Users: []int64{w.people["张总"]}}, SkipApproved: true}, end())
		id := w.start(t, f, "李娜", w.claim(t, 1))
		w.act(t, "张总", flows.ActApprove, flows.Input{})
		if w.state(t, id) != flows.Approved || !strings.Contains(w.timeline(t, id), "autopass@二审") {
			t.Fatalf("not skipped: %s", w.timeline(t, id))
		}
	})
}

func TestRejectTransferWithdraw(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, &flows.Node{ID: "a", Type: flows.Approve, Name: "经理审批", Who: &flows.Who{Heads: 1}, CommentOnReject: true},
		approve("总监审批", &flows.Who{Heads: 2}, flows.ModeSeq), end())

	id := w.start(t, f, "李娜", w.claim(t, 1))
	task := w.one(t, "王经理") // 李娜's 主管
	if _, err := w.Flows.Act(ctx, w.as("王经理"), task, flows.ActReject, flows.Input{}); code(err) != "flow_comment_required" {
		t.Fatalf("reject without comment: %v", err)
	}
	if _, err := w.Flows.Act(ctx, w.as("张总"), task, flows.ActApprove, flows.Input{}); code(err) != "flow_task_not_yours" || !strings.Contains(err.Error(), "王经理") {
		t.Fatalf("someone else's task: %v", err)
	}
	w.act(t, "王经理", flows.ActReject, flows.Input{Comment: "金额不对"})
	if w.state(t, id) != flows.Rejected {
		t.Fatal("not rejected")
	}
	if _, err := w.Flows.Act(ctx, w.as("王经理"), task, flows.ActApprove, flows.Input{}); code(err) != "flow_task_done_reject" {
		t.Fatalf("acting twice: %v", err)
	}

	// 转交: 王经理 hands it to 周敏, who approves; then 连续 2 级主管 of 李娜: 王经理, then 张总.
	id = w.start(t, f, "李娜", w.claim(t, 2))
	if _, err := w.Flows.Act(ctx, w.as("王经理"), w.one(t, "王经理"), flows.ActTransfer, flows.Input{To: w.people["王经理"]}); code(err) != "flow_transfer_self" {
		t.Fatalf("transfer to self: %v", err)
	}
	w.act(t, "王经理", flows.ActTransfer, flows.Input{To: w.people["周敏"], Comment: "请周敏看"})
	w.act(t, "周敏", flows.ActApprove, flows.Input{})
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	if len(w.todo(t, "张总")) != 1 {
		t.Fatal("the second head did not get the task")
	}
	// 撤回 is refused once an approver acted.
	if err := w.Flows.Withdraw(ctx, w.as("李娜"), id, ""); code(err) != "flow_withdraw_too_late" || !strings.Contains(err.Error(), "王经理") {
		t.Fatalf("late withdraw: %v", err)
	}
	w.act(t, "张总", flows.ActApprove, flows.Input{})
	if got, want := w.timeline(t, id), "start/李娜 arrive@经理审批 transfer@经理审批/王经理 approve@经理审批/周敏 arrive@总监审批 approve@总监审批/王经理 approve@总监审批/张总 end@结束"; got != want {
		t.Fatalf("timeline\n%s\nwant\n%s", got, want)
	}

	// 撤回 before anyone acted: the task leaves the box, and saying why is kept.
	id = w.start(t, f, "李娜", w.claim(t, 3))
	task = w.one(t, "王经理")
	if err := w.Flows.Withdraw(ctx, w.as("王经理"), id, ""); code(err) != "flow_withdraw_not_initiator" {
		t.Fatalf("withdraw by another: %v", err)
	}
	if err := w.Flows.Withdraw(ctx, w.as("李娜"), id, "写错了"); err != nil {
		t.Fatal(err)
	}
	if w.state(t, id) != flows.Withdrawn || len(w.todo(t, "王经理")) != 0 {
		t.Fatal("not withdrawn")
	}
	if _, err := w.Flows.Act(ctx, w.as("王经理"), task, flows.ActApprove, flows.Input{}); code(err) != "flow_task_done_withdraw" || !strings.Contains(err.Error(), "李娜") {
		t.Fatalf("task of a withdrawn instance: %v", err)
	}
	if err := w.Flows.Comment(ctx, w.as("外人"), id, "看看"); code(err) != "forbidden" {
		t.Fatalf("a stranger commented: %v", err)
	}
	if err := w.Flows.Comment(ctx, w.as("王经理"), id, "好的"); err != nil {
		t.Fatal(err)
	}
	if tl := w.timeline(t, id); !strings.HasSuffix(tl, "withdraw/李娜 comment/王经理") {
		t.Fatalf("timeline %s", tl)
	}
	if _, err := w.Flows.Instance(ctx, w.as("外人"), id); code(err) != "forbidden" {
		t.Fatalf("a stranger read the instance: %v", err)
	}
}

func TestEmptyApprovers(t *testing.T) {
	w := newWorld(t)
	nobody := &flows.Who{Heads: 1} // 张总 heads the top department: he has no 主管
	for _, c := range []struct{ empty, state, tl string }{
		{flows.EmptyPass, flows.Approved, "autopass@审批"},
		{flows.EmptyStop, flows.Stopped, "stop"},
		{"", flows.Running, "arrive@审批"}, // to the administrators
	} {
		f := w.publish(t, &flows.Node{ID: "审批", Type: flows.Approve, Name: "审批", Who: nobody, Empty: c.empty}, end())
		id := w.start(t, f, "张总", w.claim(t, 1))
		in, err := w.Flows.Instance(context.Background(), access.System, id)
		if err != nil || in.State != c.state || !strings.Contains(w.timeline(t, id), c.tl) {
			t.Fatalf("%q: %s %s %v", c.empty, in.State, w.timeline(t, id), err)
		}
		if c.empty == flows.EmptyStop && (in.Reason == nil || !strings.Contains(in.Reason.Message("zh"), "审批") || !strings.Contains(in.Reason.Message("en"), "found nobody")) {
			t.Fatalf("stop reason %v", in.Reason)
		}
	}
}

func TestVersions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	old := w.start(t, f, "李娜", w.claim(t, 1))
	f.Nodes[0].Who = &flows.Who{Users: []int64{w.people["张总"]}}
	f.Nodes[0].Name = "新审批"
	if _, err := w.Flows.Save(ctx, access.System, f); err != nil {
		t.Fatal(err)
	}
	// a saved draft changes nothing until published
	if id := w.start(t, f, "赵敏", w.claim(t, 2)); len(w.todo(t, "张总")) != 0 || id == 0 {
		t.Fatal("the draft ran before it was published")
	}
	f, err := w.Flows.Publish(ctx, access.System, f.ID)
	if err != nil || f.Version != 2 {
		t.Fatalf("publish: %v %+v", err, f)
	}
	w.start(t, f, "李娜", w.claim(t, 3))
	if len(w.todo(t, "王经理")) != 2 || len(w.todo(t, "张总")) != 1 {
		t.Fatal("instances are not on their versions")
	}
	if _, err := w.Flows.Act(ctx, w.as("王经理"), w.todo(t, "王经理")[1], flows.ActApprove, flows.Input{}); err != nil {
		t.Fatal(err)
	}
	if w.state(t, old) != flows.Approved || !strings.Contains(w.timeline(t, old), "approve@审批/王经理") {
		t.Fatal("the old instance did not finish on its version")
	}
	if _, err := w.Flows.Start(ctx, w.as("李娜"), f.ID, w.claim(t, 3)-0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Flows.Start(ctx, w.as("李娜"), f.ID, w.claim(t, 4)-1, nil); code(err) != "flow_running" {
		t.Fatalf("a second running instance on a record: %v", err)
	}
}

func TestBoxPages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, approve("审批", &flows.Who{Users: []int64{w.people["王经理"]}}, ""), end())
	for i := range 7 {
		w.start(t, f, "李娜", w.claim(t, float64(i)))
	}
	var seen []int64
	before := int64(0)
	for {
		page, err := w.Flows.Box(ctx, w.as("王经理"), flows.BoxTodo, flows.Page{Before: before, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, it := range page {
			seen = append(seen, it.TaskID)
		}
		before = page[len(page)-1].TaskID
	}
	if len(seen) != 7 || seen[0] < seen[6] {
		t.Fatalf("pages %v", seen)
	}
	if todo, cc, err := w.Flows.Counts(ctx, w.as("王经理")); err != nil || todo != 7 || cc != 0 {
		t.Fatalf("counts %d %d %v", todo, cc, err)
	}
	if _, err := w.Flows.Box(ctx, w.as("王经理"), "all", flows.Page{}); code(err) != "flow_bad_box" {
		t.Fatalf("bad box: %v", err)
	}
	// 10,000 open tasks of one person, then 40,000 of others: a page of their box is a range of
	// the index, not a walk through the newer tasks of everyone.
	err := w.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, batch := range []struct {
			n    int
			user int64
		}{{10000, w.people["张总"]}, {40000, w.people["吴婷"]}} {
			if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, created_at)
				SELECT (SELECT MIN(id) FROM _flow_instances), '审批', 1, ?, 'open', '2026-11-23T09:00:00Z' FROM n`, batch.n, batch.user); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.DB.Analyze(ctx, "_flow_tasks", "_flow_instances"); err != nil {
		t.Fatal(err)
	}
	explain := "EXPLAIN QUERY PLAN "
	if w.DB.Dialect == store.Postgres {
		explain = "EXPLAIN "
	}
	rows, err := w.DB.R.Query(explain+`SELECT t.id FROM _flow_tasks t JOIN _flow_instances i ON i.id = t.instance_id JOIN _flows f ON f.id = i.flow_id
		WHERE t.user_id = ? AND t.state = ? AND t.id < ? ORDER BY t.id DESC LIMIT 50`, w.people["张总"], "open", int64(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		rows.Scan(vals...)
		plan = append(plan, fmt.Sprint(*vals[len(vals)-1].(*any)))
	}
	rows.Close()
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "_flow_tasks_box") || strings.Contains(p, "Seq Scan on _flow_tasks") || strings.Contains(p, "TEMP B-TREE") {
		t.Fatalf("a page of the box is not a range of _flow_tasks_box:\n%s", p)
	}
	page, err := w.Flows.Box(ctx, w.as("张总"), flows.BoxTodo, flows.Page{Before: 0, Limit: 50})
	if err != nil || len(page) != 50 {
		t.Fatalf("page of 50: %d %v", len(page), err)
	}

}

// Two approvers of a 或签 act at the same moment: exactly one wins, the other is told who
// did, and the instance moves on once. On PostgreSQL the two transactions really run side by
// side.
func TestRacingApprovers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, approve("审批", &flows.Who{Users: []int64{w.people["王经理"], w.people["张总"]}}, flows.ModeOr),
		&flows.Node{ID: "cc", Type: flows.CC, Name: "抄送", Who: &flows.Who{Users: []int64{w.people["吴婷"]}}}, end())
	const rounds = 20
	for i := range rounds {
		id := w.start(t, f, "李娜", w.claim(t, float64(i)))
		tasks := map[string]int64{"王经理": w.todo(t, "王经理")[0], "张总": w.todo(t, "张总")[0]}
		errs := make(chan error, 2)
		ready := make(chan struct{})
		for name, task := range tasks {
			go func() {
				<-ready
				_, err := w.Flows.Act(ctx, w.as(name), task, flows.ActApprove, flows.Input{})
				errs <- err
			}()
		}
		close(ready)
		won, lost := 0, 0
		for range 2 {
			err := <-errs
			if err == nil {
				won++
			} else if p := problem.As(err); p != nil && p.Code == "flow_task_done_approve" {
				lost++
			} else {
				t.Fatal(err)
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("round %d: %d won, %d lost", i, won, lost)
		}
		if tl := w.timeline(t, id); strings.Count(tl, "approve@") != 1 || strings.Count(tl, "cc@") != 1 || strings.Count(tl, "end@") != 1 {
			t.Fatalf("round %d: timeline %s", i, tl)
		}
	}
	if cc, err := w.Flows.Box(ctx, w.as("吴婷"), flows.BoxCC, flows.Page{Before: 0, Limit: flows.MaxPage}); err != nil || len(cc) != rounds {
		t.Fatalf("copies %d %v", len(cc), err)
	}
}

// TestActOnMissingTask: an action on a task that does not exist is a 404 naming the task,
// and an instance that asked nobody (no task) still reads whole.
func TestActOnMissingTask(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, err := w.Flows.Act(ctx, w.as("王经理"), 999999, flows.ActApprove, flows.Input{})
	if p := problem.As(err); p == nil || p.Code != "not_found" || p.Params["kind"] != "task" || p.Params["name"] != "999999" {
		t.Fatalf("acting on a missing task: %v", err)
	}
	f := w.publish(t, &flows.Node{ID: "cc", Type: flows.CC, Name: "抄送", Who: &flows.Who{Users: []int64{w.people["吴婷"]}}}, end())
	id := w.start(t, f, "李娜", w.claim(t, 1))
	in, err := w.Flows.Instance(ctx, w.as("李娜"), id)
	if err != nil || in.State != flows.Approved || len(in.Tasks) != 1 || in.Tasks[0].State != "cc" || len(in.Events) != 3 {
		t.Fatalf("instance %+v, %v", in, err)
	}
	f = w.publish(t, end())
	id = w.start(t, f, "李娜", w.claim(t, 2))
	if in, err = w.Flows.Instance(ctx, w.as("李娜"), id); err != nil || in.State != flows.Approved || len(in.Tasks) != 0 || len(in.Events) != 2 {
		t.Fatalf("instance without tasks %+v, %v", in, err)
	}
}

func TestReturnAddSignUrge(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, approve("一审", &flows.Who{Users: []int64{w.people["王经理"]}}, ""),
		approve("二审", &flows.Who{Users: []int64{w.people["张总"]}}, ""), end())

	// 退回 to an earlier node: it is reached again.
	id := w.start(t, f, "李娜", w.claim(t, 1))
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	if _, err := w.Flows.Act(ctx, w.as("张总"), w.one(t, "张总"), flows.ActReturn, flows.Input{Node: "二审"}); code(err) != "flow_return_target" {
		t.Fatalf("back to itself: %v", err)
	}
	w.act(t, "张总", flows.ActReturn, flows.Input{Node: "一审", Comment: "再看看"})
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	w.act(t, "张总", flows.ActApprove, flows.Input{})
	if w.state(t, id) != flows.Approved {
		t.Fatal("not approved after going back")
	}

	// 退回 to the initiator: 重新提交 starts over; while it waits she may still withdraw.
	id = w.start(t, f, "李娜", w.claim(t, 2))
	w.act(t, "王经理", flows.ActReturn, flows.Input{Comment: "缺发票"})
	task := w.one(t, "李娜")
	if _, err := w.Flows.Act(ctx, w.as("李娜"), task, flows.ActApprove, flows.Input{}); code(err) != "flow_bad_action" {
		t.Fatalf("approving one's own resubmission: %v", err)
	}
	w.act(t, "李娜", flows.ActResubmit, flows.Input{Comment: "已补"})
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	w.act(t, "张总", flows.ActApprove, flows.Input{})
	if got, want := w.timeline(t, id), "start/李娜 arrive@一审 return@一审/王经理 resubmit/李娜 arrive@一审 approve@一审/王经理 arrive@二审 approve@二审/张总 end@结束"; got != want {
		t.Fatalf("timeline\n%s\nwant\n%s", got, want)
	}
	id = w.start(t, f, "李娜", w.claim(t, 3))
	w.act(t, "王经理", flows.ActReturn, flows.Input{})
	if err := w.Flows.Withdraw(ctx, w.as("李娜"), id, ""); err != nil || w.state(t, id) != flows.Withdrawn {
		t.Fatalf("withdraw while waiting to resubmit: %v", err)
	}

	// 加签 before me: 周敏 approves first, then the task comes back to 王经理.
	id = w.start(t, f, "李娜", w.claim(t, 4))
	w.act(t, "王经理", flows.ActAddSign, flows.Input{To: w.people["周敏"], Before: true})
	if len(w.todo(t, "王经理")) != 0 {
		t.Fatal("王经理 kept an open task while 周敏 looks")
	}
	w.act(t, "周敏", flows.ActApprove, flows.Input{})
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	// 加签 after me: 张总 approves and adds 吴婷; the node waits for her.
	w.act(t, "张总", flows.ActAddSign, flows.Input{To: w.people["吴婷"]})
	if w.state(t, id) != flows.Running {
		t.Fatal("passed before the added approver")
	}
	w.act(t, "吴婷", flows.ActApprove, flows.Input{})
	if got, want := w.timeline(t, id), "start/李娜 arrive@一审 addsign@一审/王经理 approve@一审/周敏 approve@一审/王经理 arrive@二审 approve@二审/张总 addsign@二审/张总 approve@二审/吴婷 end@结束"; got != want {
		t.Fatalf("timeline\n%s\nwant\n%s", got, want)
	}

	// 催办: the initiator, once an hour.
	id = w.start(t, f, "李娜", w.claim(t, 5))
	if err := w.Flows.Urge(ctx, w.as("王经理"), id); code(err) != "flow_urge_not_initiator" {
		t.Fatalf("urge by another: %v", err)
	}
	if err := w.Flows.Urge(ctx, w.as("李娜"), id); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(59 * time.Minute)
	if err := w.Flows.Urge(ctx, w.as("李娜"), id); code(err) != "flow_urge_too_soon" {
		t.Fatalf("urge twice in an hour: %v", err)
	}
	w.now = w.now.Add(time.Minute)
	if err := w.Flows.Urge(ctx, w.as("李娜"), id); err != nil {
		t.Fatal(err)
	}
	notes, _, _ := w.Inbox.List(ctx, w.people["王经理"], false, 5)
	if len(notes) < 2 || !strings.HasPrefix(notes[0].Title, "催办") || !strings.HasPrefix(notes[1].Title, "催办") {
		t.Fatalf("王经理's inbox %+v", notes)
	}
}

// 填写, edits on approval and 数据操作 all go through the records engine as the person acting.
func TestFillEditAndData(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t,
		&flows.Node{ID: "fill", Type: flows.Fill, Name: "补充事由", Who: &flows.Who{Field: "经办人"}, Fields: map[string]string{"事由": flows.FieldEdit}},
		&flows.Node{ID: "a", Type: flows.Approve, Name: "经理审批", Who: &flows.Who{Heads: 1}, Fields: map[string]string{"金额": flows.FieldEdit, "事由": flows.FieldRead}},
		&flows.Node{ID: "pay", Type: flows.DataOp, Name: "生成付款单", Data: &flows.Data{Op: flows.DataCreate, Table: "付款单",
			Values: map[string]any{"报销": "={ID}", "金额": "={金额} * 2"}}},
		&flows.Node{ID: "mark", Type: flows.DataOp, Name: "标记已批准", Data: &flows.Data{Op: flows.DataUpdate, Values: map[string]any{"状态": "已批准"}}},
		end())
	rec := w.claim(t, 800)
	id := w.start(t, f, "李娜", rec)
	task := w.one(t, "赵敏")
	if _, err := w.Flows.Act(ctx, w.as("赵敏"), task, flows.ActApprove, flows.Input{}); code(err) != "flow_bad_action" {
		t.Fatalf("approving a fill-in: %v", err)
	}
	if _, err := w.Flows.Act(ctx, w.as("赵敏"), task, flows.ActSubmit, flows.Input{Values: map[string]any{"金额": 1}}); code(err) != "flow_field_not_editable" {
		t.Fatalf("filling a field the node does not open: %v", err)
	}
	w.act(t, "赵敏", flows.ActSubmit, flows.Input{Values: map[string]any{"事由": "客户拜访"}})
	if _, err := w.Flows.Act(ctx, w.as("赵敏"), task, flows.ActSubmit, flows.Input{}); code(err) != "flow_task_done_submit" {
		t.Fatalf("submitting twice: %v", err)
	}
	in, err := w.Flows.Instance(ctx, w.as("王经理"), id)
	if err != nil || in.Tasks[1].Fields[w.t.Field("金额").ID] != flows.FieldEdit || in.Tasks[1].Fields[w.t.Field("事由").ID] != flows.FieldRead || in.Tasks[0].Fields != nil {
		t.Fatalf("the approver's field permissions: %+v %v", in.Tasks, err)
	}
	w.act(t, "王经理", flows.ActApprove, flows.Input{Values: map[string]any{"金额": 600}})
	if w.state(t, id) != flows.Approved {
		t.Fatalf("state %s: %s", w.state(t, id), w.timeline(t, id))
	}
	got, err := w.Records.Get(ctx, access.System, w.t, rec)
	if err != nil || got[w.t.Field("事由").ID] != "客户拜访" || got[w.t.Field("金额").ID] != 600.0 || got[w.t.Field("状态").ID] != "已批准" {
		t.Fatalf("record %v %v", got, err)
	}
	page, err := w.Records.List(ctx, access.System, w.paid, records.Query{})
	if err != nil || len(page.Items) != 1 || page.Items[0][w.paid.Field("报销").ID] != rec || page.Items[0][w.paid.Field("金额").ID] != 1200.0 {
		t.Fatalf("付款单 %+v %v", page, err)
	}
	// The approver's edit is theirs; the 数据操作 nodes are the flow's, run as the system.
	if s := w.history(t, w.t, rec); s != "update/flow:报销审批 update/王经理 update/赵敏 create/系统" {
		t.Fatalf("history %s", s)
	}
	made := page.Items[0]
	if made[schema.FieldCreatedBy] != records.SystemUser || made[schema.FieldOwner] != w.people["李娜"] {
		t.Fatalf("付款单 创建人 %v, 负责人 %v: want the system, and the initiator", made[schema.FieldCreatedBy], made[schema.FieldOwner])
	}
	if s := w.history(t, w.paid, made.ID()); s != "create/flow:报销审批" {
		t.Fatalf("付款单 history %s", s)
	}
	log, _, err := w.Audit.List(ctx, access.System, audit.Query{Table: w.paid.ID})
	if err != nil || len(log) != 1 || log[0].Flow != "报销审批" || log[0].UserID != 0 {
		t.Fatalf("operation log %+v %v", log, err)
	}

	// An approver whose role may not add 付款单: the flow adds it all the same, as the system.
	noPay, err := w.Org.SaveRole(ctx, access.System, &access.Role{Name: "只读", Tables: map[string]*access.TablePerm{
		w.t.ID: {Actions: []access.TableAction{access.View, access.Edit}, Read: access.DataScope{Kind: access.ScopeAll}, Change: access.DataScope{Kind: access.ScopeAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Users.Update(ctx, access.System, w.people["王经理"], users.Patch{Roles: &[]string{noPay.ID}}); err != nil {
		t.Fatal(err)
	}
	id = w.start(t, f, "李娜", w.claim(t, 10))
	w.act(t, "赵敏", flows.ActSubmit, flows.Input{})
	w.act(t, "王经理", flows.ActApprove, flows.Input{})
	if page, err := w.Records.List(ctx, access.System, w.paid, records.Query{}); w.state(t, id) != flows.Approved || err != nil || len(page.Items) != 2 {
		t.Fatalf("state %s, %d 付款单 (%v): %s", w.state(t, id), len(page.Items), err, w.timeline(t, id))
	}
}

// history is a record's history, newest first, as "action/who" words: a person's name,
// kind:name for what acted for the system (flow:报销审批), else 系统.
func (w *world) history(t *testing.T, tb *schema.Table, id int64) string {
	t.Helper()
	hist, err := w.Records.History(context.Background(), access.System, tb, id)
	if err != nil {
		t.Fatal(err)
	}
	var by []string
	for _, h := range hist {
		who := "系统"
		if u, ok := w.Users.Get(h.UserID); ok {
			who = u.Name
		} else if h.Via != nil {
			who = h.Via.Kind + ":" + h.Via.Name
		}
		by = append(by, h.Action+"/"+who)
	}
	return strings.Join(by, " ")
}

// A field a flow uses is deleted: the flow shows the problem on its node, and an instance
// that reaches the node stops there with the reason.
func TestDeletedField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.s6(t)
	id := w.start(t, f, "李娜", w.claim(t, 150000))
	if err := w.Catalog.DeleteField(ctx, access.System, w.t.ID, "金额"); err != nil {
		t.Fatal(err)
	}
	f, err := w.Flows.Flow(ctx, access.System, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	ps := w.Flows.Problems(f)
	if len(ps) != 1 || !strings.HasPrefix(ps[0].Path, "amount.") {
		t.Fatalf("problems %v", ps)
	}
	w.act(t, "张总", flows.ActApprove, flows.Input{})
	in, err := w.Flows.Instance(ctx, access.System, id)
	if err != nil || in.State != flows.Stopped || in.Reason == nil || !strings.Contains(in.Reason.Message("zh"), "金额判断") {
		t.Fatalf("instance %+v %v", in, err)
	}
	notes, _, _ := w.Inbox.List(ctx, w.people["李娜"], false, 1)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "金额判断") {
		t.Fatalf("the initiator was not told why: %+v", notes)
	}
}

// 发起人自选 approvers and the 主管 of a 成员 field's person.
func TestChosenAndHeadsOfField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := w.publish(t, &flows.Node{ID: "pick", Type: flows.Approve, Name: "自选审批", Who: &flows.Who{Chosen: true}, Empty: flows.EmptyStop},
		approve("经办人主管", &flows.Who{Heads: 1, HeadsOf: "经办人"}, ""), end())
	if _, err := w.Flows.Start(ctx, w.as("张总"), f.ID, w.claim(t, 1), map[string][]int64{"经办人主管": {w.people["周敏"]}}); code(err) != "flow_not_chosen" {
		t.Fatalf("choosing for a node that does not let one: %v", err)
	}
	id, err := w.Flows.Start(ctx, w.as("张总"), f.ID, w.claim(t, 2), map[string][]int64{"pick": {w.people["周敏"]}})
	if err != nil {
		t.Fatal(err)
	}
	w.act(t, "周敏", flows.ActApprove, flows.Input{})
	w.act(t, "王经理", flows.ActApprove, flows.Input{}) // 赵敏 (经办人) is in 华东区, led by 王经理
	if w.state(t, id) != flows.Approved {
		t.Fatal(w.timeline(t, id))
	}
	id = w.start(t, f, "张总", w.claim(t, 3)) // nobody chosen: the node's policy stops it
	if w.state(t, id) != flows.Stopped {
		t.Fatal("nobody chosen did not stop")
	}
}

// A flow that asks nobody — a 通知 and the end — is an automation: its end tells the
// initiator nothing (the 通知's people are told).
func TestAutomationEndsQuietly(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	f := w.publish(t, &flows.Node{ID: "n", Type: flows.Notify, Name: "告诉张总", Who: &flows.Who{Users: []int64{w.people["张总"]}}, Title: "有新报销"},
		&flows.Node{ID: "end", Type: flows.End, Name: "结束"})
	if id := w.start(t, f, "李娜", w.claim(t, 100)); w.state(t, id) != flows.Approved {
		t.Fatalf("the automation is %s", w.state(t, id))
	}
	for name, want := range map[string]int{"李娜": 0, "张总": 1} {
		if notes, _, err := w.Inbox.List(ctx, w.people[name], false, 10); err != nil || len(notes) != want {
			t.Fatalf("%s's inbox %+v %v, want %d notices", name, notes, err, want)
		}
	}
}

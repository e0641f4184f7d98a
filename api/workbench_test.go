package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"testing"

	"tierbase/core/access"
	"tierbase/templates/crm"
)

// workbench is the parts of GET /api/workbench the tests compare.
type workbench struct {
	Tasks struct {
		Items []struct {
			Title, Status, Due, Link string
			Overdue                  bool
		}
		Total   int
		Sources []struct {
			Name   string
			Filter json.RawMessage
			Total  int
		}
	}
	Notifications struct {
		Items  []struct{ Title string }
		Unread int
	}
	Grades *struct {
		Field string
		Total int
		Items []struct {
			Value  string
			Count  int
			Filter json.RawMessage
		}
	}
	Recent []struct {
		TableName, Title, Link string
		ID                     int64
	}
}

func (c *client) workbench() workbench {
	c.t.Helper()
	r := c.get("/api/workbench")
	r.must(c.t, 200)
	var w workbench
	if err := json.Unmarshal([]byte(r.Raw), &w); err != nil {
		c.t.Fatal(err)
	}
	return w
}

// The workbench shows each person their own open to-dos (due first first, overdue marked),
// unread notifications, customers per grade and the records they opened — all within what
// they may read, for a member as for an admin.
func TestWorkbench(t *testing.T) {
	a, _, base := liveServer(t)
	admin := newClient(t, base)
	body := admin.post("/api/setup", map[string]string{"email": adminEmail, "password": adminPassword, "name": adminName}).must(t, 200)
	admin.token = str(body["token"])
	ctx := context.Background()

	// Before the template: an empty workbench that still answers.
	w := admin.workbench()
	if len(w.Tasks.Items) != 0 || len(w.Tasks.Sources) != 0 || w.Grades != nil || len(w.Recent) != 0 {
		t.Fatalf("an empty database's workbench: %+v", w)
	}
	if _, err := crm.Install(ctx, access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	wangID, wang := admin.addMember("wang@example.com", "小王")
	liID, li := admin.addMember("li@example.com", "小李")

	customer := func(name, grade string, owner float64) float64 {
		rec := map[string]any{"客户名称": name, "负责人": owner}
		if grade != "" {
			rec["客户等级"] = grade
		}
		return num(admin.create("客户", rec)["id"])
	}
	huawei := customer("华为", "高价值客户", wangID)
	customer("美的", "普通客户", wangID)
	customer("小店", "", wangID)
	liCustomer := customer("格力", "高价值客户", liID)
	customer("管理员的客户", "潜力客户", 1)

	todo := func(title, due, status string, owner float64) float64 {
		rec := map[string]any{"任务标题": title, "负责人": owner}
		if due != "" {
			rec["截止时间"] = due
		}
		if status != "" {
			rec["状态"] = status
		}
		return num(admin.create("待办任务", rec)["id"])
	}
	overdue := todo("昨天该回电话", "2026-11-22 09:00", "待处理", wangID)
	todo("明天拜访", "2026-11-24 15:00", "进行中", wangID)
	todo("没有期限的事", "", "待处理", wangID)
	todo("已经做完的", "2026-11-20 09:00", "已完成", wangID)
	todo("小李的事", "2026-11-21 09:00", "待处理", liID)
	if err := a.Inbox.Notify(ctx, []int64{int64(wangID)}, "客户「华为」成为高价值客户", "累计消费 ¥67,809.96", ""); err != nil {
		t.Fatal(err)
	}

	w = wang.workbench()
	type task struct {
		Title, Status string
		Overdue       bool
	}
	var tasks []task
	for _, k := range w.Tasks.Items {
		tasks = append(tasks, task{k.Title, k.Status, k.Overdue})
	}
	want := []task{{"昨天该回电话", "待处理", true}, {"明天拜访", "进行中", false}, {"没有期限的事", "待处理", false}}
	if !reflect.DeepEqual(tasks, want) || w.Tasks.Total != 3 {
		t.Errorf("小王's to-dos %+v (total %d), want %+v", tasks, w.Tasks.Total, want)
	}
	if len(w.Tasks.Sources) != 1 || w.Tasks.Sources[0].Name != "待办任务" || w.Tasks.Sources[0].Total != 3 {
		t.Fatalf("sources %+v", w.Tasks.Sources)
	}
	// The source's condition lists exactly those to-dos, for the grid's "see all".
	if n := num(wang.list("待办任务", "filter", string(w.Tasks.Sources[0].Filter)).must(t, 200)["total"]); n != 3 {
		t.Errorf("the to-dos' filter lists %v records, want 3", n)
	}
	if w.Tasks.Items[0].Link != fmt.Sprintf("/t/%s?record=%d", tableID(t, admin, "待办任务"), int64(overdue)) {
		t.Errorf("link %q", w.Tasks.Items[0].Link)
	}
	if w.Notifications.Unread != 1 || len(w.Notifications.Items) != 1 || w.Notifications.Items[0].Title != "客户「华为」成为高价值客户" {
		t.Errorf("小王's notifications %+v", w.Notifications)
	}
	grades := func(w workbench) map[string]int {
		out := map[string]int{}
		if w.Grades == nil {
			t.Fatal("no grades")
		}
		var order []string
		for _, g := range w.Grades.Items {
			out[g.Value] = g.Count
			order = append(order, g.Value)
		}
		if want := []string{"高价值客户", "潜力客户", "普通客户"}; !reflect.DeepEqual(order[:3], want) {
			t.Errorf("grades in the order %v, want the options' %v first", order, want)
		}
		return out
	}
	if got := grades(w); !reflect.DeepEqual(got, map[string]int{"高价值客户": 1, "潜力客户": 0, "普通客户": 1, "": 1}) || w.Grades.Total != 3 {
		t.Errorf("小王's customers per grade %v (total %d)", got, w.Grades.Total)
	}
	for _, g := range w.Grades.Items {
		if n := int(num(wang.list("客户", "filter", string(g.Filter)).must(t, 200)["total"])); n != g.Count {
			t.Errorf("grade %q: the filter lists %d, the count is %d", g.Value, n, g.Count)
		}
	}

	// 小李 sees only his own; so does the admin, who may read everything.
	w = li.workbench()
	if len(w.Tasks.Items) != 1 || w.Tasks.Items[0].Title != "小李的事" || !w.Tasks.Items[0].Overdue || w.Notifications.Unread != 0 {
		t.Errorf("小李's workbench %+v", w)
	}
	if got := grades(w); got["高价值客户"] != 1 || w.Grades.Total != 1 {
		t.Errorf("小李's grades %v", got)
	}
	w = admin.workbench()
	if len(w.Tasks.Items) != 0 || grades(w)["潜力客户"] != 1 || w.Grades.Total != 1 {
		t.Errorf("the admin's workbench %+v", w)
	}

	// Recently opened: newest first, each once, with titles; only records one may read.
	opened := func(c *client, table string, id float64) reply {
		return c.post("/api/recent", map[string]any{"table": table, "id": id})
	}
	opened(wang, "客户", huawei).must(t, 200)
	opened(wang, "待办任务", overdue).must(t, 200)
	opened(wang, "客户", huawei).must(t, 200)
	opened(wang, "客户", liCustomer).wantError(t, 404, "not_found")
	recent := func(c *client) []string {
		var out []string
		for _, r := range c.workbench().Recent {
			out = append(out, r.TableName+"/"+r.Title)
		}
		return out
	}
	if got := recent(wang); !reflect.DeepEqual(got, []string{"客户/华为", "待办任务/昨天该回电话"}) {
		t.Errorf("小王's recent records %v", got)
	}
	if got := recent(li); got != nil {
		t.Errorf("小李 sees 小王's recent records: %v", got)
	}
	// Handed to 小李, 华为 leaves 小王's list (and stays out of it); a deleted to-do too.
	admin.patch(recordPath("客户", huawei), map[string]any{"负责人": liID}).must(t, 200)
	if got := recent(wang); !reflect.DeepEqual(got, []string{"待办任务/昨天该回电话"}) {
		t.Errorf("小王's recent records after 华为 went to 小李: %v", got)
	}
	admin.del(recordPath("待办任务", overdue)).must(t, 200)
	if got := recent(wang); got != nil {
		t.Errorf("小王's recent records after the to-do was deleted: %v", got)
	}
	// The list is capped per user: 8 shown, 20 kept.
	for i := range 25 {
		opened(wang, "客户", customerOf(t, wang, i)).must(t, 200)
	}
	if got := recent(wang); len(got) != 8 || got[0] != "客户/客户24" {
		t.Errorf("after 25 opened: %v", got)
	}
	var kept int
	a.DB.R.QueryRow("SELECT COUNT(*) FROM _recent WHERE user_id = ?", int64(wangID)).Scan(&kept)
	if kept != 20 {
		t.Errorf("%d opened records kept, want 20", kept)
	}
}

// customerOf creates 客户<i> owned by c and returns its id.
func customerOf(t *testing.T, c *client, i int) float64 {
	t.Helper()
	return num(c.create("客户", map[string]any{"客户名称": fmt.Sprintf("客户%d", i)})["id"])
}

func tableID(t *testing.T, c *client, name string) string {
	t.Helper()
	return str(c.get("/api/tables/"+url.PathEscape(name)).must(t, 200)["id"])
}

package comments_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tierbase/app"
	"tierbase/core/access"
	"tierbase/core/records"
	"tierbase/core/users"
	"tierbase/platform/problem"
	"tierbase/templates/crm"
)

// TestCommentsAndMentions: 李娜 comments on her customer and @mentions 王强 (a member who
// owns nothing of it) and 张伟 (an admin): only 张伟 is told, with the customer's name and a
// link to it; 王强 is named back as not told. 王强 can neither read nor add comments there,
// nor delete 李娜's; 张伟 may delete any.
func TestCommentsAndMentions(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := crm.Install(ctx, access.System, a.Catalog); err != nil {
		t.Fatal(err)
	}
	cust, _ := a.Catalog.Table("客户")
	person := func(email, name string, roles ...string) (access.Actor, int64) {
		u, _, err := a.Users.Add(ctx, access.System, users.NewUser{Email: email, Name: name, Password: "Tierbase-2026!", Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return a.Users.ActorOf(u), u.ID
	}
	lina, linaID := person("lina@x.cn", "李娜", access.MemberRoleID)
	wang, wangID := person("wang@x.cn", "王强", access.MemberRoleID)
	zhang, zhangID := person("zhang@x.cn", "张伟", access.AdminRoleID)
	rec, err := a.Records.Create(ctx, access.System, cust, records.Input{"客户名称": "华东精密", "负责人": linaID})
	if err != nil {
		t.Fatal(err)
	}
	id := rec["id"].(int64)

	added, err := a.Comments.Add(ctx, lina, cust, id, "  @张伟 @王强 客户要求周五前报价  ", []int64{zhangID, wangID, zhangID})
	if err != nil {
		t.Fatal(err)
	}
	if added.Body != "@张伟 @王强 客户要求周五前报价" || added.UserName != "李娜" || fmt.Sprint(added.NotNotified) != fmt.Sprint([]int64{wangID}) {
		t.Fatalf("added %+v", added)
	}
	notices := func(user int64) []string {
		list, _, err := a.Inbox.List(ctx, user, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range list {
			out = append(out, n.Title+"|"+n.Body+"|"+n.Link)
		}
		return out
	}
	want := fmt.Sprintf("李娜 在客户「华东精密」的评论中提到了你|@张伟 @王强 客户要求周五前报价|/t/%s?record=%d", cust.ID, id)
	if got := notices(zhangID); len(got) != 1 || got[0] != want {
		t.Fatalf("张伟 was told %q, want %q", got, want)
	}
	if got := notices(wangID); len(got) != 0 {
		t.Fatalf("王强, who may not read the customer, was told %q", got)
	}
	if got := notices(linaID); len(got) != 0 {
		t.Fatalf("李娜 was told of her own comment: %q", got)
	}

	list, err := a.Comments.List(ctx, zhang, cust, id)
	if err != nil || len(list) != 1 || list[0].ID != added.ID || list[0].UserName != "李娜" || len(list[0].Mentions) != 2 {
		t.Fatalf("the admin lists %+v, %v", list, err)
	}
	for what, err := range map[string]error{
		"list":   second(a.Comments.List(ctx, wang, cust, id)),
		"add":    second(a.Comments.Add(ctx, wang, cust, id, "看看", nil)),
		"delete": a.Comments.Delete(ctx, wang, cust, id, added.ID),
	} {
		if p := problem.As(err); p == nil || p.Status != 404 {
			t.Errorf("王强's %s on a customer he may not read: %v, want 404", what, err)
		}
	}

	for body, code := range map[string]string{"   ": "comment_empty", strings.Repeat("长", 2001): "comment_too_long"} {
		if _, err := a.Comments.Add(ctx, lina, cust, id, body, nil); problem.As(err) == nil || problem.As(err).Code != code {
			t.Errorf("a comment of %d characters: %v, want %s", len([]rune(body)), err, code)
		}
	}
	if _, err := a.Comments.Add(ctx, lina, cust, id, "@谁", []int64{999}); problem.As(err) == nil || problem.As(err).Code != "comment_mention" {
		t.Errorf("mentioning no one that exists: %v", err)
	}

	other, err := a.Comments.Add(ctx, zhang, cust, id, "收到", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Comments.Delete(ctx, lina, cust, id, other.ID); problem.As(err) == nil || problem.As(err).Status != 403 {
		t.Errorf("李娜 deleting 张伟's comment: %v, want 403", err)
	}
	if err := a.Comments.Delete(ctx, zhang, cust, id, added.ID); err != nil {
		t.Errorf("the admin deleting 李娜's comment: %v", err)
	}
	if err := a.Comments.Delete(ctx, lina, cust, id, other.ID+100); problem.As(err) == nil || problem.As(err).Status != 404 {
		t.Errorf("deleting a comment that is not there: %v, want 404", err)
	}
	list, err = a.Comments.List(ctx, lina, cust, id)
	if err != nil || len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("after the deletes 李娜 lists %+v, %v", list, err)
	}
}

func second[T any](_ T, err error) error { return err }

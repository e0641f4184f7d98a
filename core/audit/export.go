package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/platform/spreadsheet"
)

// actionNames are the actions as the exported sheet names them (zh, en).
var actionNames = map[string][2]string{
	Created: {"新增记录", "created a record"}, Updated: {"修改记录", "updated a record"}, Deleted: {"删除记录", "deleted a record"},
	SignIn: {"登录", "signed in"}, SignInFailed: {"登录失败", "sign-in failed"}, UserChange: {"成员变更", "changed a person"},
	DeptChange: {"部门变更", "changed a department"}, RoleChange: {"角色变更", "changed a role"}, Export: {"导出", "exported"},
	Import: {"导入", "imported"}, Backup: {"备份", "backed up"}, Restore: {"恢复记录", "restored a record"},
	TableDeleted: {"删除表", "deleted a table"},
}

// Export writes every entry q chooses, newest first, as an XLSX sheet to w (headers and
// actions in lang, times in loc), page by page, and logs the export itself. It returns
// the number of entries written. Only admins may export the log.
func (l *Log) Export(ctx context.Context, a access.Actor, q Query, w io.Writer, lang string, loc *time.Location) (int, error) {
	if err := access.Can(a, access.ManageUsers); err != nil {
		return 0, err
	}
	en := 0
	if lang == "en" {
		en = 1
	}
	sw, err := spreadsheet.Create(w, "xlsx")
	if err != nil {
		return 0, err
	}
	head := [][2]string{{"时间", "time"}, {"操作人", "person"}, {"操作", "action"}, {"表", "table"}, {"记录", "record"},
		{"内容", "content"}, {"客户端地址", "client address"}}
	row := make([]any, len(head))
	for i, h := range head {
		row[i] = h[en]
	}
	if err := sw.Write(row); err != nil {
		return 0, err
	}
	q.Table = l.tableID(q.Table)
	filter := q
	q.Cursor, q.Limit = "", maxLimit
	n := 0
	for {
		page, next, err := l.List(ctx, a, q)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			at, _ := time.Parse(time.RFC3339, e.At)
			action := e.Action
			if names, ok := actionNames[e.Action]; ok {
				action = names[en]
			}
			var record any
			if e.RecordID != 0 {
				record = e.RecordID
			}
			if err := sw.Write([]any{at.In(loc), e.UserName, action, e.TableName, record, content(e, en), e.Client}); err != nil {
				return n, err
			}
			n++
		}
		if next == "" {
			break
		}
		q.Cursor = next
	}
	if err := sw.Close(); err != nil {
		return n, err
	}
	return n, RecordAt(ctx, l.DB, l.Now(), Event{UserID: a.UserID, Action: Export, TableID: q.Table,
		Detail: map[string]any{"log": true, "rows": n, "filter": describe(filter)}})
}

// content is an entry's changes (字段: before → after) or its event detail, as one cell.
func content(e Entry, en int) string {
	var parts []string
	if e.Rule != "" {
		parts = append(parts, [2]string{"规则", "rule"}[en]+": "+e.Rule)
	}
	if e.Flow != "" {
		parts = append(parts, [2]string{"流程", "flow"}[en]+": "+e.Flow)
	}
	for _, c := range e.Changes {
		name := c.Name
		if c.Row > 0 { // 报价明细 #2 单价
			name = fmt.Sprintf("%s #%d %s", c.Name, c.Row, c.SubName)
		}
		parts = append(parts, fmt.Sprintf("%s: %s → %s", name, cell(c.Before), cell(c.After)))
	}
	if len(e.Detail) > 0 {
		b, _ := json.Marshal(e.Detail)
		parts = append(parts, string(b))
	}
	return strings.Join(parts, "; ")
}

func cell(v any) string {
	if v == nil {
		return "∅"
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// describe is the filter of an export of the log, for its own event.
func describe(q Query) map[string]any {
	d := map[string]any{}
	if q.UserID != 0 {
		d["userId"] = q.UserID
	}
	if q.Action != "" {
		d["action"] = q.Action
	}
	if !q.From.IsZero() {
		d["from"] = q.From.UTC().Format(time.RFC3339)
	}
	if !q.To.IsZero() {
		d["to"] = q.To.UTC().Format(time.RFC3339)
	}
	return d
}

package flows

import (
	"context"
	"fmt"

	"tierbase/core/access"
	"tierbase/engines/workbench"
)

// Todos is the workbench's source of the person's open flow tasks (待我处理): the newest
// first, each opening in the to-do center; none when they have no open task.
func (e *Engine) Todos() workbench.TaskSource { return todos{e} }

type todos struct{ e *Engine }

func (s todos) Open(ctx context.Context, _ *workbench.Engine, a access.Actor, limit int) ([]workbench.Task, *workbench.Source, error) {
	total, _, err := s.e.Counts(ctx, a)
	if err != nil || total == 0 {
		return nil, nil, err
	}
	items, err := s.e.Box(ctx, a, BoxTodo, Page{Limit: limit})
	if err != nil {
		return nil, nil, err
	}
	tasks := make([]workbench.Task, len(items))
	for i, it := range items {
		title := it.RecordTitle
		if title == "" {
			title = fmt.Sprintf("#%d", it.Record)
		}
		tasks[i] = workbench.Task{Source: "flow", Table: it.Table, ID: it.TaskID, Title: it.FlowName + " · " + title,
			Status: it.NodeName, Link: fmt.Sprintf("/todo?instance=%d&task=%d", it.InstanceID, it.TaskID)}
	}
	return tasks, &workbench.Source{Name: "待我处理", Total: int64(total), Link: "/todo"}, nil
}

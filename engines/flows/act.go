package flows

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"tierbase/core/access"
	"tierbase/platform/problem"
)

// Input is what a person gives with an action.
type Input struct {
	Comment string `json:"comment,omitempty"`
	To      int64  `json:"to,omitempty"` // 转交: the person who takes the task
}

// maxComment bounds a comment's length in characters.
const maxComment = 2000

// task is one task as an action reads it.
type task struct {
	id, instance, user, actedBy int64
	node, state, action, at     string
	step, seq                   int
}

// Act does an action — ActApprove, ActReject or ActTransfer — on a task of the actor's, and
// moves the instance on as far as it goes, all in one transaction. A task that is not the
// actor's, or no longer open, is a 409 saying who did what. It answers the instance's id.
func (e *Engine) Act(ctx context.Context, a access.Actor, taskID int64, action string, in Input) (int64, error) {
	in.Comment = strings.TrimSpace(in.Comment)
	if len([]rune(in.Comment)) > maxComment {
		return 0, problem.Invalid("flow_comment_too_long", "max", maxComment)
	}
	switch action {
	case ActApprove, ActReject, ActTransfer:
	default:
		return 0, problem.Invalid("flow_bad_action", "action", action)
	}
	var instanceID int64
	err := e.DB.R.QueryRowContext(ctx, "SELECT instance_id FROM _flow_tasks WHERE id = ?", taskID).Scan(&instanceID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, problem.NotFound("task", fmt.Sprint(taskID))
	}
	if err != nil {
		return 0, err
	}
	return instanceID, e.DB.Tx(ctx, func(tx *sql.Tx) error {
		inst, err := e.load(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		var t task
		if err := tx.QueryRowContext(ctx, "SELECT id, instance_id, user_id, acted_by, node_id, state, action, acted_at, step, seq FROM _flow_tasks WHERE id = ?", taskID).
			Scan(&t.id, &t.instance, &t.user, &t.actedBy, &t.node, &t.state, &t.action, &t.at, &t.step, &t.seq); err != nil {
			return err
		}
		if err := e.mayAct(a, &t); err != nil {
			return err
		}
		n := inst.g.nodes[t.node]
		switch action {
		case ActTransfer:
			return e.transfer(ctx, tx, a, inst, &t, in)
		case ActReject:
			if n.CommentOnReject && in.Comment == "" {
				return problem.Invalid("flow_comment_required", "node", n.Name)
			}
		}
		if err := e.close(ctx, tx, &t, taskDone, action, a.UserID, in.Comment); err != nil {
			return err
		}
		if err := e.event(ctx, tx, inst, a.UserID, t.node, action, in.Comment, nil); err != nil {
			return err
		}
		return e.decide(ctx, tx, a, inst, n, &t, action)
	})
}

// mayAct refuses an action on a task that is not the actor's or is not open any more.
func (e *Engine) mayAct(a access.Actor, t *task) error {
	switch {
	case t.state == taskOpen && t.user == a.UserID:
		return nil
	case t.user != a.UserID:
		return problem.New(409, "flow_task_not_yours", "who", e.name(t.user))
	case t.state == taskWaiting:
		return problem.New(409, "flow_task_waiting")
	case t.action == "":
		return problem.New(409, "flow_task_closed")
	}
	return problem.New(409, "flow_task_done_"+t.action, "who", e.name(t.actedBy), "at", t.at)
}

// close ends a task with what was done to it and by whom.
func (e *Engine) close(ctx context.Context, tx *sql.Tx, t *task, state, action string, by int64, comment string) error {
	_, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ?, action = ?, acted_by = ?, comment = ?, acted_at = ? WHERE id = ?",
		state, action, by, comment, e.stamp(), t.id)
	return err
}

// closeRest cancels the tasks of the node's step still open or waiting, as decided by by.
func (e *Engine) closeRest(ctx context.Context, tx *sql.Tx, inst *instance, step int, action string, by int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ?, action = ?, acted_by = ?, acted_at = ? WHERE instance_id = ? AND step = ? AND state IN (?, ?)",
		taskCancelled, action, by, e.stamp(), inst.id, step, taskOpen, taskWaiting)
	return err
}

// decide works out, after an approver said yes or no, whether the node passed, failed or
// waits for more, and moves the instance on.
func (e *Engine) decide(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, n *Node, t *task, action string) error {
	var total, yes, no, left int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN action = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN action = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN (?, ?) THEN 1 ELSE 0 END), 0)
		FROM _flow_tasks WHERE instance_id = ? AND step = ? AND action <> ? AND state <> ?`,
		ActApprove, ActReject, taskOpen, taskWaiting, inst.id, t.step, ActTransfer, taskCancelled).Scan(&total, &yes, &no, &left)
	if err != nil {
		return err
	}
	pass, fail := false, false
	switch n.Mode {
	case ModeVote:
		pass = yes*100 >= n.Percent*total
		fail = !pass && (total-no)*100 < n.Percent*total
	default: // 或签 passes on the first yes; 会签 and 依次 on the last; any no fails them
		fail = action == ActReject
		pass = !fail && (n.Mode == "" || n.Mode == ModeOr || left == 0)
	}
	switch {
	case fail:
		if err := e.closeRest(ctx, tx, inst, t.step, ActReject, a.UserID); err != nil {
			return err
		}
		return e.finish(ctx, tx, inst, Rejected, nil)
	case pass:
		if err := e.closeRest(ctx, tx, inst, t.step, ActApprove, a.UserID); err != nil {
			return err
		}
		return e.enter(ctx, tx, inst, inst.g.next[n.ID])
	case n.Mode == ModeSeq:
		var next task
		err := tx.QueryRowContext(ctx, "SELECT id, user_id FROM _flow_tasks WHERE instance_id = ? AND step = ? AND state = ? ORDER BY seq LIMIT 1",
			inst.id, t.step, taskWaiting).Scan(&next.id, &next.user)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ? WHERE id = ?", taskOpen, next.id); err != nil {
			return err
		}
		return e.tell(ctx, tx, inst, n, []int64{next.user})
	}
	return nil
}

// transfer hands a task to another person (转交), who takes the actor's place in it.
func (e *Engine) transfer(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, t *task, in Input) error {
	if !e.userOK(in.To) {
		return problem.Invalid("flow_transfer_to", "user", in.To)
	}
	if in.To == a.UserID {
		return problem.Invalid("flow_transfer_self")
	}
	var already int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM _flow_tasks WHERE instance_id = ? AND step = ? AND user_id = ? AND state IN (?, ?)",
		inst.id, t.step, in.To, taskOpen, taskWaiting).Scan(&already); err != nil {
		return err
	}
	if already > 0 {
		return problem.New(409, "flow_transfer_has_task", "who", e.name(in.To))
	}
	if err := e.close(ctx, tx, t, taskDone, ActTransfer, a.UserID, in.Comment); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, seq, created_at) VALUES(?, ?, ?, ?, ?, ?, ?)",
		inst.id, t.node, t.step, in.To, taskOpen, t.seq, e.stamp()); err != nil {
		return err
	}
	if err := e.event(ctx, tx, inst, a.UserID, t.node, ActTransfer, in.Comment, map[string]any{"to": in.To}); err != nil {
		return err
	}
	return e.tell(ctx, tx, inst, inst.g.nodes[t.node], []int64{in.To})
}

// Withdraw takes a running instance back (撤回): only its initiator, and only until the
// first approver acted.
func (e *Engine) Withdraw(ctx context.Context, a access.Actor, instanceID int64, comment string) error {
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		inst, err := e.load(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		if inst.initiator != a.UserID {
			return problem.New(403, "flow_withdraw_not_initiator")
		}
		if inst.state != Running {
			return problem.New(409, "flow_ended_"+inst.state)
		}
		var who int64
		var action string
		err = tx.QueryRowContext(ctx, "SELECT acted_by, action FROM _flow_tasks WHERE instance_id = ? AND state = ? ORDER BY acted_at, id LIMIT 1",
			inst.id, taskDone).Scan(&who, &action)
		if err == nil {
			return problem.New(409, "flow_withdraw_too_late", "who", e.name(who))
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ?, action = ?, acted_by = ?, acted_at = ? WHERE instance_id = ? AND state IN (?, ?)",
			taskCancelled, ActWithdraw, a.UserID, e.stamp(), inst.id, taskOpen, taskWaiting); err != nil {
			return err
		}
		if err := e.event(ctx, tx, inst, a.UserID, "", ActWithdraw, strings.TrimSpace(comment), nil); err != nil {
			return err
		}
		return e.finish(ctx, tx, inst, Withdrawn, nil)
	})
}

// Comment adds a comment to an instance's timeline, by its initiator, anyone it reached, or
// an administrator.
func (e *Engine) Comment(ctx context.Context, a access.Actor, instanceID int64, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return problem.Invalid("flow_comment_empty")
	}
	if len([]rune(text)) > maxComment {
		return problem.Invalid("flow_comment_too_long", "max", maxComment)
	}
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		inst, err := e.load(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		if err := e.mayRead(ctx, tx, a, inst); err != nil {
			return err
		}
		return e.event(ctx, tx, inst, a.UserID, "", ActComment, text, nil)
	})
}

func init() {
	for code, m := range map[string][2]string{
		"flow_comment_too_long":       {"意见最多 {max} 个字", "a comment has at most {max} characters"},
		"flow_comment_empty":          {"请填写评论内容", "write the comment first"},
		"flow_comment_required":       {"审批节点「{node}」拒绝时必须填写意见", "approval node \"{node}\" needs a comment to reject"},
		"flow_bad_action":             {"不支持的操作 {action}", "{action} is not an action on a task"},
		"flow_task_not_yours":         {"这条待办是「{who}」的，你不能处理", "this task is {who}'s; you cannot act on it"},
		"flow_task_waiting":           {"还没轮到你审批（依次审批）", "it is not your turn yet (one after another)"},
		"flow_task_closed":            {"这条待办已结束", "this task is closed"},
		"flow_task_done_approve":      {"这一步已由「{who}」于 {at} 同意", "{who} already approved this step at {at}"},
		"flow_task_done_reject":       {"这一步已由「{who}」于 {at} 拒绝", "{who} already rejected this step at {at}"},
		"flow_task_done_transfer":     {"这条待办已由「{who}」于 {at} 转交他人", "{who} handed this task on at {at}"},
		"flow_task_done_withdraw":     {"发起人「{who}」已于 {at} 撤回", "the initiator {who} withdrew it at {at}"},
		"flow_transfer_to":            {"转交对象 {user} 不存在或已停用", "the user {user} to hand it to does not exist or is disabled"},
		"flow_transfer_self":          {"不能转交给自己", "you cannot hand a task to yourself"},
		"flow_transfer_has_task":      {"「{who}」在这一步已有待办", "{who} already has a task at this step"},
		"flow_withdraw_not_initiator": {"只有发起人可以撤回", "only the initiator can withdraw it"},
		"flow_withdraw_too_late":      {"「{who}」已经处理过，不能再撤回", "{who} has acted on it already; it cannot be withdrawn"},
		"flow_ended_approved":         {"流程已通过", "the flow was approved already"},
		"flow_ended_rejected":         {"流程已被拒绝", "the flow was rejected already"},
		"flow_ended_withdrawn":        {"流程已撤回", "the flow was withdrawn already"},
		"flow_ended_stopped":          {"流程已终止", "the flow was stopped already"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}

package flows

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"tierbase/core/access"
	"tierbase/platform/problem"
)

// Input is what a person gives with an action.
type Input struct {
	Comment string `json:"comment,omitempty"`
	To      int64  `json:"to,omitempty"`     // 转交, 加签: the person who takes the task, or is added
	Before  bool   `json:"before,omitempty"` // 加签: before me (they act, then I), else after me
	Node    string `json:"node,omitempty"`   // 退回: the earlier node to go back to; "" for the initiator (重新提交)
	// Values are the record's fields the person changed as they approve or submit (填写),
	// by name or id: only those their node lets them edit.
	Values map[string]any `json:"values,omitempty"`
}

// maxComment bounds a comment's length in characters.
const maxComment = 2000

// task is one task as an action reads it.
type task struct {
	id, instance, user, actedBy, addedFor int64
	node, state, action, at, added, due   string
	step, seq                             int
}

// resubmitNode is the node of the initiator's task after a 退回 to them: 重新提交 starts the
// flow over.
const resubmitNode = "_resubmit"

// Act does an action on a task of the actor's — ActApprove, ActReject, ActTransfer, ActReturn
// (退回), ActAddSign (加签), ActSubmit on a 填写, or on the initiator's task after a 退回 ActResubmit — and moves
// the instance on as far as it goes, all in one transaction. A task that is not the
// actor's, or no longer open, is a 409 saying who did what. It answers the instance's id.
func (e *Engine) Act(ctx context.Context, a access.Actor, taskID int64, action string, in Input) (int64, error) {
	in.Comment = strings.TrimSpace(in.Comment)
	if len([]rune(in.Comment)) > maxComment {
		return 0, problem.Invalid("flow_comment_too_long", "max", maxComment)
	}
	switch action {
	case ActApprove, ActReject, ActTransfer, ActReturn, ActAddSign, ActResubmit, ActSubmit:
	default:
		return 0, problem.Invalid("flow_bad_action", "action", action)
	}
	var instanceID int64
	err := e.DB.Tx(ctx, func(tx *sql.Tx) error {
		inst, err := e.loadWhere(ctx, tx, "i.id = (SELECT instance_id FROM _flow_tasks WHERE id = ?)", taskID, "task")
		if err != nil {
			return err
		}
		instanceID = inst.id
		var t task
		if err := tx.QueryRowContext(ctx, `SELECT id, instance_id, user_id, acted_by, added_for, node_id, state, action, acted_at, added, due_at, step, seq
			FROM _flow_tasks WHERE id = ?`, taskID).
			Scan(&t.id, &t.instance, &t.user, &t.actedBy, &t.addedFor, &t.node, &t.state, &t.action, &t.at, &t.added, &t.due, &t.step, &t.seq); err != nil {
			return err
		}
		if err := e.mayAct(a, &t); err != nil {
			return err
		}
		inst.actor = a
		if err := e.act(ctx, tx, a, inst, &t, action, in); err != nil {
			return err
		}
		return e.saveEvents(ctx, tx, inst)
	})
	return instanceID, err
}

// act does the action on the task t of the instance, as Act.
func (e *Engine) act(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, t *task, action string, in Input) error {
	if t.node == resubmitNode || action == ActResubmit {
		if t.node != resubmitNode || action != ActResubmit {
			return problem.Invalid("flow_bad_action", "action", action)
		}
		if err := e.close(ctx, tx, t, taskDone, action, a.UserID, in.Comment); err != nil {
			return err
		}
		if err := e.event(inst, a.UserID, "", ActResubmit, in.Comment, nil); err != nil {
			return err
		}
		return e.enter(ctx, tx, inst, inst.g.first)
	}
	n := inst.g.nodes[t.node]
	if n.Type == Fill && (action == ActApprove || action == ActReject) || n.Type != Fill && action == ActSubmit {
		return problem.Invalid("flow_bad_action", "action", action)
	}
	if len(in.Values) > 0 {
		if action != ActApprove && action != ActSubmit {
			return problem.Invalid("flow_bad_action", "action", action)
		}
		if err := e.saveEdits(ctx, tx, inst, n, in.Values); err != nil {
			return err
		}
	}
	switch action {
	case ActTransfer:
		return e.transfer(ctx, tx, a, inst, t, in)
	case ActReturn:
		return e.goBack(ctx, tx, a, inst, t, in)
	case ActAddSign:
		return e.addSign(ctx, tx, a, inst, t, in)
	case ActReject:
		if n.CommentOnReject && in.Comment == "" {
			return problem.Invalid("flow_comment_required", "node", n.Name)
		}
	}
	if err := e.event(inst, a.UserID, t.node, action, in.Comment, nil); err != nil {
		return err
	}
	if t.added == addedBefore && action == ActApprove { // back to the one who added them
		if err := e.close(ctx, tx, t, taskDone, action, a.UserID, in.Comment); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ? WHERE id = ? AND state = ?", taskOpen, t.addedFor, taskWaiting); err != nil {
			return err
		}
		var back int64
		if err := tx.QueryRowContext(ctx, "SELECT user_id FROM _flow_tasks WHERE id = ?", t.addedFor).Scan(&back); err != nil {
			return err
		}
		return e.tell(ctx, tx, inst, n, []int64{back})
	}
	return e.decide(ctx, tx, a, inst, n, t, action, in.Comment)
}

// How an added task (加签) came: before the adder (who waits for it), or after them.
const (
	addedBefore = "before"
	addedAfter  = "after"
)

// addSign adds a person to the actor's step (加签): before the actor, who acts once they
// approved, or after, the actor approving now and the node waiting for them too.
func (e *Engine) addSign(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, t *task, in Input) error {
	if err := e.checkNewcomer(ctx, tx, a, inst, t, in.To); err != nil {
		return err
	}
	added := addedAfter
	if in.Before {
		added = addedBefore
		if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ? WHERE id = ?", taskWaiting, t.id); err != nil {
			return err
		}
	} else {
		if err := e.close(ctx, tx, t, taskDone, ActApprove, a.UserID, in.Comment); err != nil {
			return err
		}
		if err := e.event(inst, a.UserID, t.node, ActApprove, in.Comment, nil); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, seq, created_at, added, added_for, due_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inst.id, t.node, t.step, in.To, taskOpen, t.seq, e.stamp(), added, t.id, t.due); err != nil {
		return err
	}
	if err := e.event(inst, a.UserID, t.node, ActAddSign, in.Comment, map[string]any{"to": in.To, "before": in.Before}); err != nil {
		return err
	}
	return e.tell(ctx, tx, inst, inst.g.nodes[t.node], []int64{in.To})
}

// checkNewcomer refuses to hand or add a task to someone who cannot take it: nobody, the
// actor, or a person with a task of the step already.
func (e *Engine) checkNewcomer(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, t *task, to int64) error {
	if !e.userOK(to) {
		return problem.Invalid("flow_transfer_to", "user", to)
	}
	if to == a.UserID {
		return problem.Invalid("flow_transfer_self")
	}
	var already int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM _flow_tasks WHERE instance_id = ? AND step = ? AND user_id = ? AND state IN (?, ?)",
		inst.id, t.step, to, taskOpen, taskWaiting).Scan(&already); err != nil {
		return err
	}
	if already > 0 {
		return problem.New(409, "flow_transfer_has_task", "who", e.name(to))
	}
	return nil
}

// goBack is 退回: to an earlier approval the instance went through (not inside a 并行分支),
// which is reached again, or to the initiator, who gets a task to 重新提交 (the flow then
// starts over). Whatever else was open, in other parallel branches too, is called off.
func (e *Engine) goBack(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, t *task, in Input) error {
	if in.Node != "" {
		target := inst.g.nodes[in.Node]
		var seen int
		if target != nil && target.Type == Approve && inst.g.earlier(in.Node, t.node) && !inst.g.parallel[in.Node] {
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM _flow_tasks WHERE instance_id = ? AND node_id = ?", inst.id, in.Node).Scan(&seen); err != nil {
				return err
			}
		}
		if seen == 0 {
			return problem.Invalid("flow_return_target", "node", in.Node)
		}
	}
	if err := e.close(ctx, tx, t, taskDone, ActReturn, a.UserID, in.Comment); err != nil {
		return err
	}
	if err := e.event(inst, a.UserID, t.node, ActReturn, in.Comment, map[string]any{"to": in.Node}); err != nil {
		return err
	}
	if in.Node == "" {
		return e.backToInitiator(ctx, tx, inst, a.UserID)
	}
	if err := e.callOff(ctx, tx, inst, ActReturn, a.UserID); err != nil {
		return err
	}
	return e.enter(ctx, tx, inst, in.Node)
}

// callOff cancels every open or waiting task of the instance and forgets its parallel
// branches in flight, for a 退回.
func (e *Engine) callOff(ctx context.Context, tx *sql.Tx, inst *instance, action string, by int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ?, action = ?, acted_by = ?, acted_at = ? WHERE instance_id = ? AND state IN (?, ?)",
		taskCancelled, action, by, e.stamp(), inst.id, taskOpen, taskWaiting); err != nil {
		return err
	}
	clear(inst.joins)
	return e.saveJoins(ctx, tx, inst)
}

// backToInitiator sends the instance back to its initiator (by a person, or 0 for a time
// limit): everything open is called off and they get a task to 重新提交.
func (e *Engine) backToInitiator(ctx context.Context, tx *sql.Tx, inst *instance, by int64) error {
	if err := e.callOff(ctx, tx, inst, ActReturn, by); err != nil {
		return err
	}
	if inst.initiator == 0 { // started by the system (a record without 负责人 or 创建人): nobody to resubmit
		return e.finish(ctx, tx, inst, Stopped, problem.New(409, "flow_return_no_initiator"))
	}
	inst.step++
	if _, err := tx.ExecContext(ctx, "INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, created_at) VALUES(?, ?, ?, ?, ?, ?)",
		inst.id, resubmitNode, inst.step, inst.initiator, taskOpen, e.stamp()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE _flow_instances SET step = ? WHERE id = ?", inst.step, inst.id); err != nil {
		return err
	}
	who := "系统（超时）"
	if by != 0 {
		who = e.name(by)
	}
	return e.Inbox.SendTx(ctx, tx, []int64{inst.initiator}, fmt.Sprintf("被退回：%s", inst.flowName),
		fmt.Sprintf("你发起的「%s」被 %s 退回，请修改后重新提交", inst.flowName, who), e.link(inst))
}

// urgeEvery is how often the initiator may urge (催办) the approvers of an instance.
const urgeEvery = time.Hour

// Urge reminds the people an instance waits for (催办): its initiator, at most once an hour.
func (e *Engine) Urge(ctx context.Context, a access.Actor, instanceID int64) error {
	return e.DB.Tx(ctx, func(tx *sql.Tx) error {
		inst, err := e.load(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		if inst.initiator != a.UserID {
			return problem.New(403, "flow_urge_not_initiator")
		}
		if inst.state != Running {
			return problem.New(409, "flow_ended_"+inst.state)
		}
		var last sql.NullString
		if err := tx.QueryRowContext(ctx, "SELECT MAX(at) FROM _flow_events WHERE instance_id = ? AND action = ?", inst.id, ActUrge).Scan(&last); err != nil {
			return err
		}
		if last.Valid {
			at, _ := time.Parse(time.RFC3339, last.String)
			if wait := at.Add(urgeEvery).Sub(e.Now()); wait > 0 {
				return problem.New(429, "flow_urge_too_soon", "minutes", int(wait.Minutes())+1)
			}
		}
		rows, err := tx.QueryContext(ctx, "SELECT user_id FROM _flow_tasks WHERE instance_id = ? AND state = ?", inst.id, taskOpen)
		if err != nil {
			return err
		}
		people, err := scanIDs(rows)
		if err != nil {
			return err
		}
		if err := e.Inbox.SendTx(ctx, tx, people, fmt.Sprintf("催办：%s", inst.flowName),
			fmt.Sprintf("%s 催你处理「%s」", e.name(a.UserID), inst.flowName), e.link(inst)); err != nil {
			return err
		}
		if err := e.event(inst, a.UserID, "", ActUrge, "", map[string]any{"users": people}); err != nil {
			return err
		}
		return e.saveEvents(ctx, tx, inst)
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

// decide closes the task t with an approver's yes or no (and comment), works out whether the
// node passed, failed or waits for more, and moves the instance on. 或签 passes on the first
// yes and fails on the first no without counting: one statement closes the task and calls off
// the rest of its step. The other modes count the step's tasks.
func (e *Engine) decide(ctx context.Context, tx *sql.Tx, a access.Actor, inst *instance, n *Node, t *task, action, comment string) error {
	fail := action == ActReject // anything else (同意, a 填写's 提交) is a yes
	pass := !fail
	or := n.Mode == "" || n.Mode == ModeOr
	if or {
		rest := ActApprove
		if fail {
			rest = ActReject
		}
		if _, err := tx.ExecContext(ctx, `UPDATE _flow_tasks SET state = CASE WHEN id = ? THEN ? ELSE ? END,
			action = CASE WHEN id = ? THEN ? ELSE ? END, comment = CASE WHEN id = ? THEN ? ELSE comment END, acted_by = ?, acted_at = ?
			WHERE instance_id = ? AND step = ? AND state IN (?, ?)`,
			t.id, taskDone, taskCancelled, t.id, action, rest, t.id, comment, a.UserID, e.stamp(), inst.id, t.step, taskOpen, taskWaiting); err != nil {
			return err
		}
	} else {
		if err := e.close(ctx, tx, t, taskDone, action, a.UserID, comment); err != nil {
			return err
		}
		var total, yes, no, left int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN action = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN action = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN state IN (?, ?) THEN 1 ELSE 0 END), 0)
			FROM _flow_tasks WHERE instance_id = ? AND step = ? AND action <> ? AND state <> ? AND added = ''`,
			ActApprove, ActReject, taskOpen, taskWaiting, inst.id, t.step, ActTransfer, taskCancelled).Scan(&total, &yes, &no, &left)
		if err != nil {
			return err
		}
		if n.Mode == ModeVote {
			pass = yes*100 >= n.Percent*total
			fail = !pass && (total-no)*100 < n.Percent*total
		} else { // 会签 and 依次 pass on the last yes; any no fails them
			pass = pass && left == 0
		}
	}
	switch {
	case fail:
		if !or {
			if err := e.closeRest(ctx, tx, inst, t.step, ActReject, a.UserID); err != nil {
				return err
			}
		}
		return e.finish(ctx, tx, inst, Rejected, nil)
	case pass:
		if !or {
			if err := e.closeRest(ctx, tx, inst, t.step, ActApprove, a.UserID); err != nil {
				return err
			}
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
	if err := e.checkNewcomer(ctx, tx, a, inst, t, in.To); err != nil {
		return err
	}
	if err := e.close(ctx, tx, t, taskDone, ActTransfer, a.UserID, in.Comment); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO _flow_tasks(instance_id, node_id, step, user_id, state, seq, created_at, added, added_for, due_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inst.id, t.node, t.step, in.To, taskOpen, t.seq, e.stamp(), t.added, t.addedFor, t.due); err != nil {
		return err
	}
	if err := e.event(inst, a.UserID, t.node, ActTransfer, in.Comment, map[string]any{"to": in.To}); err != nil {
		return err
	}
	return e.tell(ctx, tx, inst, inst.g.nodes[t.node], []int64{in.To})
}

// Withdraw takes a running instance back (撤回): only its initiator, and only until the
// first approver acted, or while it waits for them to 重新提交.
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
		err = tx.QueryRowContext(ctx, `SELECT acted_by, action FROM _flow_tasks WHERE instance_id = ? AND state = ? AND user_id <> 0
			AND NOT EXISTS (SELECT 1 FROM _flow_tasks r WHERE r.instance_id = ? AND r.node_id = ? AND r.state = ?)
			ORDER BY acted_at, id LIMIT 1`, inst.id, taskDone, inst.id, resubmitNode, taskOpen).Scan(&who, &action)
		if err == nil {
			return problem.New(409, "flow_withdraw_too_late", "who", e.name(who))
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE _flow_tasks SET state = ?, action = ?, acted_by = ?, acted_at = ? WHERE instance_id = ? AND state IN (?, ?)",
			taskCancelled, ActWithdraw, a.UserID, e.stamp(), inst.id, taskOpen, taskWaiting); err != nil {
			return err
		}
		if err := e.event(inst, a.UserID, "", ActWithdraw, strings.TrimSpace(comment), nil); err != nil {
			return err
		}
		if err := e.finish(ctx, tx, inst, Withdrawn, nil); err != nil {
			return err
		}
		return e.saveEvents(ctx, tx, inst)
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
		held, err := e.heldTask(ctx, tx, a, inst.id)
		if err != nil {
			return err
		}
		if _, _, err := e.reader(ctx, a, inst, held); err != nil {
			return err
		}
		if err := e.event(inst, a.UserID, "", ActComment, text, nil); err != nil {
			return err
		}
		return e.saveEvents(ctx, tx, inst)
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
		"flow_task_done_submit":       {"这一步已由「{who}」于 {at} 提交", "{who} already submitted this step at {at}"},
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
		"flow_return_target":          {"不能退回到「{node}」：只能退回到流程已经过的、不在并行分支中的更早的审批节点，或退回发起人", "cannot go back to \"{node}\": only to an earlier approval the flow went through, outside parallel branches, or to the initiator"},
		"flow_task_done_return":       {"这一步已由「{who}」于 {at} 退回", "{who} sent this step back at {at}"},
		"flow_task_done_resubmit":     {"已由「{who}」于 {at} 重新提交", "{who} resubmitted it at {at}"},
		"flow_return_no_initiator":    {"流程由系统发起，没有发起人可以重新提交，已终止", "the system started this flow: there is no initiator to resubmit it, so it stopped"},
		"flow_urge_not_initiator":     {"只有发起人可以催办", "only the initiator can urge the approvers"},
		"flow_urge_too_soon":          {"一小时内只能催办一次，请 {minutes} 分钟后再试", "you can urge once an hour; try again in {minutes} minutes"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}

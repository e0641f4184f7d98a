// Package flows is the flow engine (流程引擎): approval flows on the records of a table —
// 审批, 抄送, 条件分支, 通知 and 结束 nodes — their definitions and published versions, the
// running instances with their tasks and timeline, and the to-do boxes (待我处理, 我已处理,
// 我发起的, 抄送我的). It knows nothing of HTTP.
//
// Every step of an instance — a start, an action on a task and everything it sets off up to
// the next task that waits for a person — runs in one write transaction that first locks the
// instance's row: its effects (tasks, notices, timeline events) and the move of the instance
// commit together or not at all, and two people acting on the same instance at once take
// turns, so the second sees what the first did.
package flows

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"tierbase/core/cond"
	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Flow is a flow definition: a tree of nodes on the records of one table.
//
// The graph is a nested tree, as in the designers of 钉钉 and 飞书, not nodes and edges: a
// flow is a sequence of nodes, and a 条件分支 holds its branches, each a sequence of its own
// that goes on after the branch node when it ends. The designer edits it as it draws it (a
// vertical list with "+" between nodes), and whole classes of broken graphs — cycles,
// dangling edges, unreachable islands, a join that waits for a branch that never comes —
// cannot be written at all, so validation is left with what a person can get wrong: a flow
// that does not end, a branch without 默认, an approval without approver, a field or
// condition that does not fit the table.
type Flow struct {
	ID      string  `json:"id"`
	Table   string  `json:"table"` // the table's id (a name is accepted on save)
	Name    string  `json:"name"`
	Enabled bool    `json:"enabled"`
	Nodes   []*Node `json:"nodes"` // the draft being edited; the last is the 结束
	// Status writes the instance's state to a field of the record (versioned with Nodes).
	Status *Status `json:"status,omitempty"`
	// Triggers start it by themselves once published (not versioned: they apply to the
	// published version).
	Triggers Triggers `json:"triggers"`
	// Version is the published version new instances start on; 0 until the first 发布.
	Version int `json:"version"`
	// Changed says the draft differs from the published version (有未发布的修改).
	Changed   bool   `json:"changed"`
	UpdatedAt string `json:"updatedAt,omitempty"`
}

// Node types.
const (
	Approve   = "approve"   // 审批
	Fill      = "fill"      // 填写: the assignees complete the fields marked FieldEdit
	DataOp    = "data"      // 数据操作: create or update records (Node.Data)
	DelayOp   = "delay"     // 延时: wait hours or days, or until a date field (Node.Delay)
	CC        = "cc"        // 抄送
	Condition = "condition" // 条件分支
	Parallel  = "parallel"  // 并行分支: every branch runs; the node after waits for all (the join)
	Notify    = "notify"    // 通知 (in-app)
	End       = "end"       // 结束
)

// Multi-approver modes of an 审批 node.
const (
	ModeOr   = "or"   // 或签: any one approves
	ModeAnd  = "and"  // 会签: all approve
	ModeSeq  = "seq"  // 依次: one after another, in the order resolved
	ModeVote = "vote" // 票签: passes when Percent of them approve
)

// What an 审批 node does when nobody is found to approve.
const (
	EmptyAdmin = "admin" // hand it to the administrators (the default)
	EmptyPass  = "pass"  // pass it
	EmptyStop  = "stop"  // stop the instance with the reason
)

// Field permissions of a node (Node.Fields).
const (
	FieldHidden = "hidden"
	FieldRead   = "read"
	FieldEdit   = "edit"
)

// Node is one step of a flow.
type Node struct {
	ID   string `json:"id"` // unique in the flow, kept across versions (退回 and the timeline name it)
	Type string `json:"type"`
	Name string `json:"name"`
	// Who are the approvers (审批), the people copied (抄送) or told (通知).
	Who *Who `json:"who,omitempty"`
	// 审批
	Mode            string            `json:"mode,omitempty"`    // ModeOr unless set
	Percent         int               `json:"percent,omitempty"` // ModeVote: 1..100
	Empty           string            `json:"empty,omitempty"`   // EmptyAdmin unless set
	CommentOnReject bool              `json:"commentOnReject,omitempty"`
	SkipApproved    bool              `json:"skipApproved,omitempty"` // skip who already approved in this instance
	Fields          map[string]string `json:"fields,omitempty"`       // field → FieldHidden/FieldRead/FieldEdit
	Limit           *Limit            `json:"limit,omitempty"`        // the time limit (时限)
	// 条件分支: the branches in order; the first whose When matches is taken, the 默认 (last)
	// otherwise. 并行分支: all of them.
	Branches []*Branch `json:"branches,omitempty"`
	// 数据操作
	Data *Data `json:"data,omitempty"`
	// 延时
	Delay *Delay `json:"delay,omitempty"`
	// 通知: told in the app to Who, and, if set, posted to the group robot Robot (Title and
	// Body) and sent to the webhook endpoint Webhook as Payload mapped from the record (key →
	// a literal or a text with {字段} placeholders).
	Title   string         `json:"title,omitempty"`
	Body    string         `json:"body,omitempty"`
	Robot   string         `json:"robot,omitempty"`
	Webhook string         `json:"webhook,omitempty"`
	Payload map[string]any `json:"payload,omitempty"`
}

// Delay is how long a 延时 node waits: Hours or Days, or until the date in Field (a date
// until its end); a time already past, or an empty field, does not wait.
type Delay struct {
	Hours int    `json:"hours,omitempty"`
	Days  int    `json:"days,omitempty"`
	Field string `json:"field,omitempty"`
}

// Branch is one branch of a 条件分支 or a 并行分支 (which has neither When nor Default).
type Branch struct {
	Name    string     `json:"name"`
	When    *cond.Node `json:"when,omitempty"`
	Default bool       `json:"default,omitempty"` // 默认: taken when no other matches; the last branch
	Nodes   []*Node    `json:"nodes"`
}

// Who names people. Everyone any of its parts names takes part, in order, once.
type Who struct {
	Users []int64  `json:"users,omitempty"`
	Roles []string `json:"roles,omitempty"`
	// Heads is the 部门主管 of HeadsOf's main department: 1 is the direct 主管, N the chain
	// of 主管 up N levels (连续多级主管), nearest first.
	Heads   int    `json:"heads,omitempty"`
	HeadsOf string `json:"headsOf,omitempty"` // "" for the initiator, else a 成员 field
	// Field is a 成员 field of the record.
	Field     string `json:"field,omitempty"`
	Initiator bool   `json:"initiator,omitempty"` // the person who started the instance
	Chosen    bool   `json:"chosen,omitempty"`    // 发起人自选: named by the initiator at the start
}

func (w *Who) empty() bool {
	return w == nil || len(w.Users) == 0 && len(w.Roles) == 0 && w.Heads == 0 && w.Field == "" && !w.Initiator && !w.Chosen
}

// Limits of a definition.
const (
	MaxNodes = 200
	maxDepth = 10
	maxHeads = 20
)

// graph is a checked definition, flattened for running: each node and the node after it.
type graph struct {
	status   *Status
	nodes    map[string]*Node
	next     map[string]string // the node that comes after a node is done (a join key at a parallel branch's end)
	first    string
	order    []string        // the nodes in designer order
	parallel map[string]bool // the nodes inside a 并行分支's branches
	asks     bool            // it has an 审批 or 填写 node: its end is news to the initiator
	tree     json.RawMessage // the nodes as designed, encoded once, to draw the version's diagram
}

// joinPrefix starts the key a 并行分支's branches lead to when they end: "join:<node id>".
const joinPrefix = "join:"

// newGraph is an empty graph.
func newGraph() *graph {
	return &graph{nodes: map[string]*Node{}, next: map[string]string{}, parallel: map[string]bool{}}
}

// link records node n at its place: next is what comes after it, inParallel whether it is in
// a parallel branch. It returns what comes after the last node of n's branches.
func (g *graph) link(n *Node, next string, inParallel bool) string {
	g.nodes[n.ID], g.next[n.ID] = n, next
	g.order = append(g.order, n.ID)
	g.asks = g.asks || n.Type == Approve || n.Type == Fill
	if inParallel {
		g.parallel[n.ID] = true
	}
	if n.Type == Parallel {
		return joinPrefix + n.ID
	}
	return next
}

// checker checks a definition against its table and collects its problems.
type checker struct {
	t        *schema.Table
	table    func(ref string) *schema.Table // another table of the catalog, nil if none
	userOK   func(int64) bool
	roleOK   func(string) bool
	calls    func(*Node, *schema.Table) (string, []any) // a 通知 node's robot and webhook: a problem's code, or ""
	g        *graph
	problems []*problem.Error
}

func (c *checker) fail(n *Node, code string, kv ...any) {
	name := n.Name
	if name == "" {
		name = n.ID
	}
	c.problems = append(c.problems, problem.Invalid(code, append([]any{"node", name}, kv...)...).At(n.ID))
}

// compile checks the nodes of a flow on table t and flattens them. The error lists every
// problem found, each naming its node (and its Path starting with the node's id).
func compile(nodes []*Node, t *schema.Table, table func(string) *schema.Table, userOK func(int64) bool, roleOK func(string) bool, calls func(*Node, *schema.Table) (string, []any)) (*graph, error) {
	c := &checker{t: t, table: table, userOK: userOK, roleOK: roleOK, calls: calls, g: newGraph()}
	if len(nodes) == 0 || nodes[len(nodes)-1] == nil || nodes[len(nodes)-1].Type != End {
		return nil, problem.Invalid("flow_no_end")
	}
	c.sequence(nodes, "", 0, false)
	if len(c.g.nodes) > MaxNodes {
		return nil, problem.Invalid("flow_too_big", "max", MaxNodes)
	}
	if err := problem.Collect(c.problems); err != nil {
		return nil, err
	}
	c.g.first = nodes[0].ID
	return c.g, nil
}

// sequence checks a sequence of nodes; after is the node that comes once it has run through,
// inParallel whether it is (inside) a parallel branch.
func (c *checker) sequence(nodes []*Node, after string, depth int, inParallel bool) {
	for i, n := range nodes {
		if n == nil {
			c.problems = append(c.problems, problem.Invalid("flow_node_missing"))
			continue
		}
		if n.ID == "" || len(n.ID) > 64 {
			c.problems = append(c.problems, problem.Invalid("flow_node_id", "node", n.Name))
			continue
		}
		if c.g.nodes[n.ID] != nil {
			c.fail(n, "flow_node_duplicate", "id", n.ID)
			continue
		}
		next := after
		if i+1 < len(nodes) && nodes[i+1] != nil {
			next = nodes[i+1].ID
			if n.Type == End {
				c.fail(nodes[i+1], "flow_after_end")
			}
		}
		c.node(n, c.g.link(n, next, inParallel), depth, inParallel)
	}
}

// node checks one node; branchesLead is where its branches go once they end.
func (c *checker) node(n *Node, branchesLead string, depth int, inParallel bool) {
	switch n.Type {
	case End:
		if inParallel {
			c.fail(n, "flow_end_in_parallel")
		}
	case Parallel:
		if depth >= maxDepth {
			c.fail(n, "flow_too_deep", "max", maxDepth)
			return
		}
		if len(n.Branches) < 2 {
			c.fail(n, "flow_few_parallel")
		}
		for _, b := range n.Branches {
			if b == nil || b.When != nil || b.Default {
				c.fail(n, "flow_parallel_condition")
				continue
			}
			c.sequence(b.Nodes, branchesLead, depth+1, true)
		}
	case DataOp:
		c.checkData(n, c.table)
	case DelayOp:
		if n.Delay == nil {
			c.fail(n, "flow_bad_limit", "max", maxLimitDays)
			return
		}
		c.checkWhen(n, n.Delay.Hours, n.Delay.Days, n.Delay.Field)
	case Approve, Fill:
		if n.Who.empty() {
			c.fail(n, "flow_no_approver")
		}
		if n.Type == Fill && !slices.Contains(slices.Collect(maps.Values(n.Fields)), FieldEdit) {
			c.fail(n, "flow_fill_no_fields")
		}
		switch n.Mode {
		case "", ModeOr, ModeAnd, ModeSeq:
		case ModeVote:
			if n.Type == Fill {
				c.fail(n, "flow_bad_mode", "mode", n.Mode)
			}
			if n.Percent < 1 || n.Percent > 100 {
				c.fail(n, "flow_bad_percent")
			}
		default:
			c.fail(n, "flow_bad_mode", "mode", n.Mode)
		}
		switch n.Empty {
		case "", EmptyAdmin, EmptyPass, EmptyStop:
		default:
			c.fail(n, "flow_bad_empty", "empty", n.Empty)
		}
		for ref, perm := range n.Fields {
			if c.t.Field(ref) == nil {
				c.fail(n, "flow_unknown_field", "field", ref)
			} else if perm != FieldHidden && perm != FieldRead && perm != FieldEdit {
				c.fail(n, "flow_bad_permission", "field", ref)
			}
		}
		c.who(n)
		c.checkLimit(n)
	case CC, Notify:
		if n.Who.empty() && (n.Type == CC || n.Robot == "" && n.Webhook == "") {
			c.fail(n, "flow_no_recipient")
		}
		if n.Type == Notify && n.Title == "" {
			c.fail(n, "flow_no_title")
		}
		if n.Type == Notify {
			if code, kv := c.calls(n, c.t); code != "" {
				c.fail(n, code, kv...)
			}
		}
		c.who(n)
	case Condition:
		if depth >= maxDepth {
			c.fail(n, "flow_too_deep", "max", maxDepth)
			return
		}
		if len(n.Branches) < 2 {
			c.fail(n, "flow_few_branches")
		}
		for i, b := range n.Branches {
			if b == nil {
				c.fail(n, "flow_node_missing")
				continue
			}
			last := i == len(n.Branches)-1
			switch {
			case b.Default && !last:
				c.fail(n, "flow_default_not_last", "branch", b.Name)
			case !b.Default && last:
				c.fail(n, "flow_no_default")
			case !b.Default && b.When == nil:
				c.fail(n, "flow_branch_no_condition", "branch", b.Name)
			case b.When != nil:
				if err := cond.Check(b.When, c.t); err != nil {
					c.badCondition(n, i, err)
				}
			}
			c.sequence(b.Nodes, branchesLead, depth+1, inParallel)
		}
	default:
		c.fail(n, "flow_bad_type", "type", n.Type)
	}
}

// badCondition adds the problem of the i-th branch's condition: the condition's own problem
// (in both languages), its path starting with the node's id, as every problem's does.
func (c *checker) badCondition(n *Node, i int, err error) {
	p := problem.As(err)
	if p == nil {
		c.fail(n, "flow_bad_condition", "branch", n.Branches[i].Name)
		return
	}
	path := fmt.Sprintf("%s.branches[%d].when", n.ID, i)
	if p.Path != "" {
		path += "." + p.Path
	}
	c.problems = append(c.problems, p.At(path))
}

// who checks the people a node names.
func (c *checker) who(n *Node) {
	w := n.Who
	if w == nil {
		return
	}
	for _, id := range w.Users {
		if !c.userOK(id) {
			c.fail(n, "flow_unknown_user", "user", id)
		}
	}
	for _, r := range w.Roles {
		if !c.roleOK(r) {
			c.fail(n, "flow_unknown_role", "role", r)
		}
	}
	for _, ref := range []string{w.Field, w.HeadsOf} {
		if ref == "" {
			continue
		}
		if f := c.t.Field(ref); f == nil {
			c.fail(n, "flow_unknown_field", "field", ref)
		} else if f.Type != schema.User {
			c.fail(n, "flow_not_user_field", "field", f.Name)
		}
	}
	if w.Heads < 0 || w.Heads > maxHeads {
		c.fail(n, "flow_bad_heads", "max", maxHeads)
	}
	if n.Type != Approve && w.Chosen {
		c.fail(n, "flow_chosen_approval_only")
	}
}

// earlier reports whether node a comes before node b in the designer's order.
func (g *graph) earlier(a, b string) bool {
	return slices.Index(g.order, a) < slices.Index(g.order, b)
}

// Status is the field of the record a flow keeps its instance's state in (报价单.状态:
// 审批中, 已批准, 已驳回), written by the system in the step that changes the state, through
// the records engine. An empty value leaves the field as it is.
type Status struct {
	Field     string `json:"field"`
	Running   string `json:"running,omitempty"`
	Approved  string `json:"approved,omitempty"`
	Rejected  string `json:"rejected,omitempty"`
	Withdrawn string `json:"withdrawn,omitempty"`
}

// value is what the field takes when the instance comes to state ("" for none).
func (st *Status) value(state string) string {
	if st == nil {
		return ""
	}
	return map[string]string{Running: st.Running, Approved: st.Approved, Rejected: st.Rejected, Withdrawn: st.Withdrawn}[state]
}

// checkStatus checks a flow's status field and values against its table.
func checkStatus(st *Status, t *schema.Table) error {
	if st == nil {
		return nil
	}
	f := t.Field(st.Field)
	if f == nil || f.System {
		return problem.Invalid("flow_status_field", "field", st.Field).At("status.field")
	}
	for key, v := range map[string]string{"running": st.Running, "approved": st.Approved, "rejected": st.Rejected, "withdrawn": st.Withdrawn} {
		if v == "" {
			continue
		}
		if _, p := f.Normalize(v, nil); p != nil {
			return problem.Invalid("flow_status_value", "field", f.Name, "value", v).At("status." + key)
		}
	}
	return nil
}

// definition is what a draft and a version store: the nodes and the status field.
type definition struct {
	Nodes  []*Node `json:"nodes"`
	Status *Status `json:"status,omitempty"`
}

// decodeDef reads a stored definition.
func decodeDef(def string) (definition, error) {
	var d definition
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return d, fmt.Errorf("flows: stored definition: %w", err)
	}
	return d, nil
}

func init() {
	for code, m := range map[string][2]string{
		"flow_no_end":               {"流程必须以「结束」节点收尾", "a flow must finish with an end node"},
		"flow_too_big":              {"流程最多 {max} 个节点", "a flow has at most {max} nodes"},
		"flow_too_deep":             {"节点「{node}」：条件分支最多嵌套 {max} 层", "node \"{node}\": condition branches nest at most {max} deep"},
		"flow_node_missing":         {"流程中有空节点", "the flow has an empty node"},
		"flow_node_id":              {"节点「{node}」缺少编号（id）", "node \"{node}\" has no id"},
		"flow_node_duplicate":       {"节点「{node}」的编号 {id} 与其他节点重复", "node \"{node}\": its id {id} is used by another node"},
		"flow_after_end":            {"节点「{node}」在「结束」之后，永远不会执行", "node \"{node}\" comes after an end node and would never run"},
		"flow_no_approver":          {"审批节点「{node}」没有设置审批人", "approval node \"{node}\" has no approver"},
		"flow_no_recipient":         {"节点「{node}」没有设置接收人", "node \"{node}\" has nobody to send to"},
		"flow_no_title":             {"通知节点「{node}」没有标题", "notify node \"{node}\" has no title"},
		"flow_unknown_robot":        {"通知节点「{node}」的群机器人不存在", "notify node \"{node}\": its group robot does not exist"},
		"flow_unknown_webhook":      {"通知节点「{node}」的 Webhook 不存在", "notify node \"{node}\": its webhook does not exist"},
		"flow_no_payload":           {"通知节点「{node}」调用 Webhook 时没有设置发送的内容", "notify node \"{node}\": the webhook call sends nothing"},
		"flow_bad_mode":             {"审批节点「{node}」的审批方式 {mode} 无效，可选 或签、会签、依次、票签", "approval node \"{node}\": mode {mode} is not one of or, and, seq, vote"},
		"flow_bad_percent":          {"审批节点「{node}」的票签通过比例须在 1 到 100 之间", "approval node \"{node}\": the vote's pass percentage must be 1 to 100"},
		"flow_bad_empty":            {"审批节点「{node}」的审批人为空时的处理 {empty} 无效，可选 转交管理员、自动通过、终止流程", "approval node \"{node}\": {empty} is not one of admin, pass, stop"},
		"flow_unknown_field":        {"节点「{node}」用到的字段「{field}」不存在", "node \"{node}\" uses the field \"{field}\", which does not exist"},
		"flow_not_user_field":       {"节点「{node}」：字段「{field}」不是成员字段", "node \"{node}\": the field \"{field}\" is not a member field"},
		"flow_bad_permission":       {"节点「{node}」：字段「{field}」的权限须为 隐藏、只读 或 可编辑", "node \"{node}\": the field \"{field}\" must be hidden, read or edit"},
		"flow_unknown_user":         {"节点「{node}」指定的成员 {user} 不存在", "node \"{node}\" names the user {user}, who does not exist"},
		"flow_unknown_role":         {"节点「{node}」指定的角色「{role}」不存在", "node \"{node}\" names the role \"{role}\", which does not exist"},
		"flow_bad_heads":            {"节点「{node}」：连续多级主管最多 {max} 级", "node \"{node}\": the chain of heads goes up at most {max} levels"},
		"flow_chosen_approval_only": {"节点「{node}」：只有审批节点可以由发起人自选", "node \"{node}\": only approval nodes can be chosen by the initiator"},
		"flow_end_in_parallel":      {"并行分支中不能放「结束」节点「{node}」：各分支结束后会在并行分支之后汇合", "the end node \"{node}\" cannot be inside a parallel branch: the branches join after it"},
		"flow_few_parallel":         {"并行分支「{node}」至少要有两个分支", "parallel node \"{node}\" needs at least two branches"},
		"flow_parallel_condition":   {"并行分支「{node}」的分支不能设置条件或默认", "parallel node \"{node}\": its branches have no condition and no default"},
		"flow_few_branches":         {"条件分支「{node}」至少要有一个条件分支和一个默认分支", "condition node \"{node}\" needs at least one branch and the default"},
		"flow_no_default":           {"条件分支「{node}」的最后一个分支必须是「默认」", "condition node \"{node}\": its last branch must be the default"},
		"flow_default_not_last":     {"条件分支「{node}」的默认分支「{branch}」必须放在最后", "condition node \"{node}\": the default branch \"{branch}\" must come last"},
		"flow_branch_no_condition":  {"条件分支「{node}」的分支「{branch}」没有条件", "condition node \"{node}\": the branch \"{branch}\" has no condition"},
		"flow_bad_condition":        {"条件分支「{node}」的分支「{branch}」条件有误", "condition node \"{node}\": the condition of \"{branch}\" is wrong"},
		"flow_status_field":         {"流程状态要写入的字段「{field}」不存在或是系统字段", "the status field \"{field}\" does not exist or is a system field"},
		"flow_status_value":         {"「{value}」不是字段「{field}」可取的值", "\"{value}\" is not a value of the field \"{field}\""},
		"flow_bad_type":             {"节点「{node}」的类型 {type} 无效", "node \"{node}\": {type} is not a node type"},
	} {
		problem.AddMessage(code, m[0], m[1])
	}
}

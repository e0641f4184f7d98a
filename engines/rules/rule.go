package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"tierbase/core/cond"
	"tierbase/core/formula"
	"tierbase/core/schema"
	"tierbase/engines/grading"
	"tierbase/platform/jobs"
	"tierbase/platform/problem"
)

// Rule is "when <trigger>, if <condition>, do <actions>" on the records of one table, e.g.
// 当 新增记录时，如果 累计消费金额 大于 10000，则 加上标签 大客户 并 通知 负责人.
type Rule struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Table     string     `json:"table"`               // table id (a name is accepted on input)
	TableName string     `json:"tableName,omitempty"` // in answers only (see Named)
	Enabled   bool       `json:"enabled"`
	Triggers  []Trigger  `json:"triggers"`
	When      *cond.Node `json:"when"`              // nil: every record
	Related   *Related   `json:"related,omitempty"` // and a count of linked records
	Events    *Events    `json:"events,omitempty"`  // and a count of the record's events
	Actions   []Action   `json:"actions"`
}

// Trigger kinds.
const (
	OnCreated  = "created"  // a record was created
	OnUpdated  = "updated"  // a record was changed
	OnChanged  = "changed"  // one of Fields changed (created records count)
	OnDeleted  = "deleted"  // a record was deleted
	OnSchedule = "schedule" // at the times of Cron, over every record that matches
	OnAlways   = "always"   // kept true: re-evaluated on every write and every day (dynamic tags)
)

// Trigger says when a rule runs.
type Trigger struct {
	On         string   `json:"on"`
	Fields     []string `json:"fields,omitempty"`     // OnChanged: field ids (names are accepted on input)
	FieldNames []string `json:"fieldNames,omitempty"` // in answers only: their names
	Cron       string   `json:"cron,omitempty"`       // OnSchedule: "0 9 * * 1-5"
}

// Related is a condition on the count of linked records, e.g. 近30天 订单 ≥ 2: the records of
// Table whose Link field points at the record and that match Where, compared by Op with Value.
type Related struct {
	Table string     `json:"table"`
	Link  string     `json:"link"`
	Where *cond.Node `json:"where"`
	Op    string     `json:"op"` // gt gte eq lte lt
	Value float64    `json:"value"`
}

// Action kinds.
const (
	ActSet       = "set"        // set Field to Value, or to Formula's result
	ActAddTag    = "add_tag"    // add Tag to a tags or multi-select Field
	ActRemoveTag = "remove_tag" // remove Tag from it
	ActAssign    = "assign"     // set a user Field (负责人 by default) by Mode
	ActCreate    = "create"     // create a record in Target with Values (literals or =formulas)
	ActNotify    = "notify"     // notify Users, the users of Roles and/or the record's Owner
	ActRobot     = "robot"      // post Title and Body to the group robot Robot, @ing the numbers of At
	ActStartFlow = "start_flow" // start the flow Flow on the record (发起流程)
	ActWebhook   = "webhook"    // call the webhook endpoint Webhook with Payload mapped from the record
)

// Assign modes.
const (
	RoundRobin = "round_robin" // each in turn
	LeastBusy  = "least_busy"  // the one who owns the fewest records of the table
	ByMap      = "map"         // by the value of field By, through Map (e.g. 地区 → 负责人)
)

// Action is one thing a rule does; which fields matter depends on Type.
type Action struct {
	Type    string           `json:"type"`
	Field   string           `json:"field,omitempty"`
	Value   any              `json:"value,omitempty"`
	Formula string           `json:"formula,omitempty"`
	Tag     string           `json:"tag,omitempty"`
	Mode    string           `json:"mode,omitempty"`
	Users   []int64          `json:"users,omitempty"`
	By      string           `json:"by,omitempty"`
	Map     map[string]int64 `json:"map,omitempty"`
	Target  string           `json:"table,omitempty"`
	Values  map[string]any   `json:"values,omitempty"`
	Roles   []string         `json:"roles,omitempty"`
	Owner   bool             `json:"owner,omitempty"`
	Title   string           `json:"title,omitempty"`
	Body    string           `json:"body,omitempty"`
	// A robot action's robot (channels.Robot id), whether Body is markdown, and whom to @:
	// mobile numbers or {字段} placeholders of 手机 fields.
	Robot    string   `json:"robot,omitempty"`
	Markdown bool     `json:"markdown,omitempty"`
	At       []string `json:"at,omitempty"`
	// A start_flow action's flow (package flows' id).
	Flow string `json:"flow,omitempty"`
	// A webhook action's endpoint (package webhooks' id) and its body: key → a literal or a
	// text with {字段} placeholders ("{金额}" alone sends the value as it is).
	Webhook string         `json:"webhook,omitempty"`
	Payload map[string]any `json:"payload,omitempty"`

	// In answers only (see Named): the names beside the ids above. Field, By, Target and the
	// keys of Values take names or ids on input.
	FieldName    string         `json:"fieldName,omitempty"`
	ByName       string         `json:"byName,omitempty"`
	TableName    string         `json:"tableName,omitempty"`
	ValuesByName map[string]any `json:"valuesByName,omitempty"`
}

// Named returns a copy of r with the names of its table and fields beside their ids, as
// answers show it (a deleted table or field keeps its id only).
func (r *Rule) Named(cat *schema.Catalog) *Rule {
	n := cloneRule(r)
	t, _ := cat.Table(n.Table)
	fieldName := func(tb *schema.Table, id string) string {
		if tb == nil || id == "" {
			return ""
		}
		if f := tb.Field(id); f != nil {
			return f.Name
		}
		return ""
	}
	if t != nil {
		n.TableName = t.Name
	}
	for i := range n.Triggers {
		tr := &n.Triggers[i]
		for _, id := range tr.Fields {
			name := fieldName(t, id)
			if name == "" {
				name = id
			}
			tr.FieldNames = append(tr.FieldNames, name)
		}
	}
	for i := range n.Actions {
		a := &n.Actions[i]
		a.FieldName, a.ByName = fieldName(t, a.Field), fieldName(t, a.By)
		if a.Type != ActCreate {
			continue
		}
		target, _ := cat.Table(a.Target)
		if target == nil {
			continue
		}
		a.TableName = target.Name
		a.ValuesByName = make(map[string]any, len(a.Values))
		for id, v := range a.Values {
			name := fieldName(target, id)
			if name == "" {
				name = id
			}
			a.ValuesByName[name] = v
		}
	}
	return n
}

// unnamed drops the names Named adds, so a rule sent back as it was answered stores ids only.
func (r *Rule) unnamed() {
	r.TableName = ""
	for i := range r.Triggers {
		r.Triggers[i].FieldNames = nil
	}
	for i := range r.Actions {
		a := &r.Actions[i]
		a.FieldName, a.ByName, a.TableName, a.ValuesByName = "", "", "", nil
	}
}

// fieldAction reports whether an action changes the record itself (done inside its write).
func (a *Action) fieldAction() bool {
	return a.Type == ActSet || a.Type == ActAddTag || a.Type == ActRemoveTag || a.Type == ActAssign
}

// compiled is a rule checked against the catalog, ready to run.
type compiled struct {
	r        *Rule
	t        *schema.Table
	related  *schema.Table
	formulas map[int]*formula.Formula            // action index → formula (set)
	creates  map[int]map[string]*formula.Formula // action index → target field id → formula
	fields   []*schema.Field                     // per action, the field it changes (nil if none)
}

func (c *compiled) has(on string) bool {
	return slices.ContainsFunc(c.r.Triggers, func(t Trigger) bool { return t.On == on })
}

// check validates r against the catalog (normalising table and field references to ids)
// and compiles it. Errors name the part: triggers[0].cron, actions[1].formula, when.and[0].op.
func (r *Rule) check(cat *schema.Catalog, users func(int64) bool) (*compiled, error) {
	r.unnamed()
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len([]rune(r.Name)) > 64 {
		return nil, problem.Invalid("bad_name", "max", 64).At("name")
	}
	t, err := cat.Table(r.Table)
	if err != nil {
		return nil, problem.Invalid("unknown_table", "name", r.Table).At("table")
	}
	r.Table = t.ID
	c := &compiled{r: r, t: t, formulas: map[int]*formula.Formula{}, creates: map[int]map[string]*formula.Formula{}}
	if len(r.Triggers) == 0 {
		return nil, problem.Invalid("rule_triggers").At("triggers")
	}
	for i := range r.Triggers {
		tr := &r.Triggers[i]
		at := fmt.Sprintf("triggers[%d]", i)
		switch tr.On {
		case OnCreated, OnUpdated, OnDeleted, OnAlways:
		case OnChanged:
			if len(tr.Fields) == 0 {
				return nil, problem.Invalid("rule_changed_fields").At(at + ".fields")
			}
			for j, ref := range tr.Fields {
				f := t.Field(ref)
				if f == nil {
					return nil, problem.Invalid("unknown_field", "table", t.Name, "name", ref).At(fmt.Sprintf("%s.fields[%d]", at, j))
				}
				tr.Fields[j] = f.ID
			}
		case OnSchedule:
			if _, err := jobs.ParseCron(tr.Cron); err != nil {
				return nil, problem.Invalid("bad_cron", "value", tr.Cron, "reason", err.Error()).At(at + ".cron")
			}
		default:
			return nil, problem.Invalid("bad_choice", "value", tr.On, "choices", "created, updated, changed, deleted, schedule, always").At(at + ".on")
		}
	}
	if err := checkCond(r.When, t, "when"); err != nil {
		return nil, err
	}
	if r.Related != nil {
		if c.related, err = r.Related.check(cat, t); err != nil {
			return nil, err
		}
	}
	if r.Events != nil {
		if err := r.Events.check(); err != nil {
			return nil, err
		}
	}
	if c.counts() && (c.has(OnCreated) || c.has(OnUpdated) || c.has(OnChanged) || c.has(OnDeleted)) {
		at := "related"
		if r.Related == nil {
			at = "events"
		}
		return nil, problem.Invalid("rule_related_trigger").At(at)
	}
	if len(r.Actions) == 0 {
		return nil, problem.Invalid("rule_actions").At("actions")
	}
	c.fields = make([]*schema.Field, len(r.Actions))
	for i := range r.Actions {
		if err := c.checkAction(cat, i, users); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func checkCond(n *cond.Node, t *schema.Table, at string) error {
	if n == nil {
		return nil
	}
	if err := cond.Check(n, t); err != nil {
		if p := problem.As(err); p != nil {
			p.Path = strings.TrimSuffix(at+"."+p.Path, ".")
		}
		return err
	}
	if grading.UsesMe(n) {
		return problem.Invalid("scheme_me").At(at)
	}
	return nil
}

func (rel *Related) check(cat *schema.Catalog, t *schema.Table) (*schema.Table, error) {
	rt, err := cat.Table(rel.Table)
	if err != nil {
		return nil, problem.Invalid("unknown_table", "name", rel.Table).At("related.table")
	}
	rel.Table = rt.ID
	link := rt.Field(rel.Link)
	if link == nil || link.Type != schema.Link || link.LinkTable != t.ID {
		return nil, problem.Invalid("rule_related_link", "table", rt.Name, "to", t.Name).At("related.link")
	}
	rel.Link = link.ID
	if err := checkCond(rel.Where, rt, "related.where"); err != nil {
		return nil, err
	}
	if _, ok := countOps[rel.Op]; !ok {
		return nil, problem.Invalid("bad_choice", "value", rel.Op, "choices", "gt, gte, eq, lte, lt").At("related.op")
	}
	return rt, nil
}

// Events is a condition on the count of a record's events (package events) of one name
// within the last Days days, optionally only those whose property Property equals Equals,
// e.g. 近7天 浏览 产品A 页面 ≥ 3 次: {"name":"浏览","property":"page","equals":"产品A","days":7,
// "op":"gte","value":3}.
type Events struct {
	Name     string  `json:"name"`
	Property string  `json:"property,omitempty"`
	Equals   string  `json:"equals,omitempty"`
	Days     int     `json:"days"`
	Op       string  `json:"op"` // gt gte eq lte lt
	Value    float64 `json:"value"`
}

// propertyName is what a property of an event condition may be called: it is written into
// SQL as a JSON key, so letters, digits and _ only.
var propertyName = regexp.MustCompile(`^[\p{L}\p{N}_]{1,64}$`)

func (ev *Events) check() error {
	ev.Name = strings.TrimSpace(ev.Name)
	if ev.Name == "" || len([]rune(ev.Name)) > 64 {
		return problem.Invalid("bad_name", "max", 64).At("events.name")
	}
	if ev.Property != "" && !propertyName.MatchString(ev.Property) {
		return problem.Invalid("rule_event_property", "value", ev.Property).At("events.property")
	}
	if ev.Days < 1 || ev.Days > 3650 {
		return problem.Invalid("rule_event_days").At("events.days")
	}
	if _, ok := countOps[ev.Op]; !ok {
		return problem.Invalid("bad_choice", "value", ev.Op, "choices", "gt, gte, eq, lte, lt").At("events.op")
	}
	return nil
}

// counts reports whether c counts related records or events, which only SQL evaluates: such a
// rule runs set-wise (always-kept or scheduled), never on a record in Go.
func (c *compiled) counts() bool { return c.related != nil || c.r.Events != nil }

var countOps = map[string]string{"gt": ">", "gte": ">=", "eq": "=", "lte": "<=", "lt": "<"}

func (c *compiled) checkAction(cat *schema.Catalog, i int, users func(int64) bool) error {
	a := &c.r.Actions[i]
	at := fmt.Sprintf("actions[%d]", i)
	t := c.t
	field := func(ref string, path string) (*schema.Field, error) {
		f := t.Field(ref)
		if f == nil {
			return nil, problem.Invalid("unknown_field", "table", t.Name, "name", ref).At(at + "." + path)
		}
		return f, nil
	}
	checkUsers := func(list []int64, path string) error {
		for j, u := range list {
			if !users(u) {
				return problem.Invalid("bad_user", "value", u).At(fmt.Sprintf("%s.%s[%d]", at, path, j))
			}
		}
		return nil
	}
	switch {
	case c.has(OnDeleted) && a.fieldAction():
		return problem.Invalid("rule_deleted_action").At(at + ".type")
	case c.has(OnAlways) && !a.fieldAction():
		return problem.Invalid("rule_always_action").At(at + ".type")
	}
	switch a.Type {
	case ActSet:
		f, err := field(a.Field, "field")
		if err != nil {
			return err
		}
		if f.System && f.ID != schema.FieldOwner || f.Type == schema.AutoNumber {
			return problem.Invalid("readonly_field").OnField(f.Name).At(at + ".field")
		}
		if f.IsComputed() {
			return schema.ComputedProblem(t, f).At(at + ".field")
		}
		if f.Sensitive { // rules write set-wise in SQL, where values cannot be sealed
			return problem.Invalid("sensitive_op", "name", f.Name).At(at + ".field")
		}
		a.Field, c.fields[i] = f.ID, f
		if a.Formula != "" {
			fm, err := formula.Compile(a.Formula, t)
			if err != nil {
				return under(err, at)
			}
			c.formulas[i] = fm
			a.Value = nil
			return nil
		}
		v, p := f.Normalize(a.Value, nil)
		if p != nil {
			return p.At(at + ".value")
		}
		a.Value = v
	case ActAddTag, ActRemoveTag:
		f, err := field(a.Field, "field")
		if err != nil {
			return err
		}
		if f.Type != schema.Tags && f.Type != schema.MultiSelect {
			return problem.Invalid("rule_tag_field", "name", f.Name).At(at + ".field")
		}
		a.Field, c.fields[i] = f.ID, f
		a.Tag = strings.TrimSpace(a.Tag)
		if a.Tag == "" || (f.Type == schema.MultiSelect && !f.HasOption(a.Tag)) {
			return problem.Invalid("bad_option", "value", a.Tag, "options", strings.Join(f.OptionValues(), "、")).At(at + ".tag")
		}
	case ActAssign:
		if a.Field == "" {
			a.Field = schema.FieldOwner
		}
		f, err := field(a.Field, "field")
		if err != nil {
			return err
		}
		if f.Type != schema.User {
			return problem.Invalid("rule_user_field", "name", f.Name).At(at + ".field")
		}
		a.Field, c.fields[i] = f.ID, f
		switch a.Mode {
		case RoundRobin, LeastBusy:
			if len(a.Users) == 0 {
				return problem.Invalid("rule_no_users").At(at + ".users")
			}
			if err := checkUsers(a.Users, "users"); err != nil {
				return err
			}
		case ByMap:
			by, err := field(a.By, "by")
			if err != nil {
				return err
			}
			a.By = by.ID
			if len(a.Map) == 0 {
				return problem.Invalid("rule_no_users").At(at + ".map")
			}
			for k, u := range a.Map {
				if !users(u) {
					return problem.Invalid("bad_user", "value", u).At(at + ".map." + k)
				}
			}
		default:
			return problem.Invalid("bad_choice", "value", a.Mode, "choices", "round_robin, least_busy, map").At(at + ".mode")
		}
	case ActCreate:
		target, err := cat.Table(a.Target)
		if err != nil {
			return problem.Invalid("unknown_table", "name", a.Target).At(at + ".table")
		}
		a.Target = target.ID
		if len(a.Values) == 0 {
			return problem.Invalid("rule_create_values").At(at + ".values")
		}
		fms := map[string]*formula.Formula{}
		vals := map[string]any{}
		for ref, v := range a.Values {
			f := target.Field(ref)
			if f == nil || (f.System && f.ID != schema.FieldOwner) {
				return problem.Invalid("unknown_field", "table", target.Name, "name", ref).At(at + ".values." + ref)
			}
			if f.IsComputed() {
				return problem.Invalid("computed_field").OnField(f.Name).At(at + ".values." + ref)
			}
			if s, ok := v.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "=") {
				fm, err := formula.Compile(s, t)
				if err != nil {
					return under(err, at+".values."+ref)
				}
				fms[f.ID] = fm
				vals[f.ID] = s
				continue
			}
			nv, p := f.Normalize(v, nil)
			if p != nil {
				return p.At(at + ".values." + ref)
			}
			vals[f.ID] = nv
		}
		a.Values, c.creates[i] = vals, fms
	case ActNotify:
		if len(a.Users) == 0 && len(a.Roles) == 0 && !a.Owner {
			return problem.Invalid("rule_no_users").At(at + ".users")
		}
		if err := checkUsers(a.Users, "users"); err != nil {
			return err
		}
		if strings.TrimSpace(a.Title) == "" {
			return problem.Invalid("required").At(at + ".title")
		}
	case ActRobot:
		if a.Robot == "" {
			return problem.Invalid("required").At(at + ".robot")
		}
		if strings.TrimSpace(a.Title) == "" {
			return problem.Invalid("required").At(at + ".title")
		}
	case ActStartFlow:
		if a.Flow == "" {
			return problem.Invalid("required").At(at + ".flow")
		}
	case ActWebhook:
		if a.Webhook == "" {
			return problem.Invalid("required").At(at + ".webhook")
		}
	default:
		return problem.Invalid("bad_choice", "value", a.Type, "choices", "set, add_tag, remove_tag, assign, create, notify, robot, start_flow, webhook").At(at + ".type")
	}
	return nil
}

// under puts a formula problem's path under the action's.
func under(err error, at string) error {
	if p := problem.As(err); p != nil {
		p.Path = at + "." + p.Path
	}
	return err
}

func decodeRule(def string) (*Rule, error) {
	r := &Rule{}
	return r, json.Unmarshal([]byte(def), r)
}

func init() {
	problem.AddMessage("rule_triggers", "请至少选择一个触发条件", "choose at least one trigger")
	problem.AddMessage("rule_changed_fields", "请选择要监听变化的字段", "choose the fields whose change triggers the rule")
	problem.AddMessage("bad_cron", "定时「{value}」有误：{reason}。格式为“分 时 日 月 周”，例如 0 9 * * 1-5 表示工作日 9:00",
		"the schedule \"{value}\" is not valid: {reason}; write \"minute hour day month weekday\", e.g. 0 9 * * 1-5 for weekdays at 9:00")
	problem.AddMessage("rule_actions", "请至少添加一个动作", "add at least one action")
	problem.AddMessage("rule_related_trigger", "统计关联记录或行为事件次数的条件只能用于“定时”或“条件持续成立”的规则", "a count of related records or events can only be used by scheduled or always-kept rules")
	problem.AddMessage("rule_event_property", "属性名「{value}」只能由文字、数字和下划线组成，最多 64 个字", "the property name \"{value}\" may hold only letters, digits and _, at most 64")
	problem.AddMessage("rule_event_days", "天数应为 1 到 3650 之间的整数", "the number of days must be a whole number from 1 to 3650")
	problem.AddMessage("rule_related_link", "表「{table}」没有关联到「{to}」的字段", "the table \"{table}\" has no field linking to \"{to}\"")
	problem.AddMessage("rule_deleted_action", "删除记录时只能新建记录或发送通知", "when a record is deleted, a rule can only create records or notify")
	problem.AddMessage("rule_always_action", "“条件持续成立”的规则只能设置字段或增减标签", "an always-kept rule can only set fields and add or remove tags")
	problem.AddMessage("rule_tag_field", "「{name}」不是标签或多选字段", "\"{name}\" is not a tags or multi-select field")
	problem.AddMessage("rule_user_field", "「{name}」不是成员字段", "\"{name}\" is not a user field")
	problem.AddMessage("rule_no_users", "请至少选择一位成员", "choose at least one user")
	problem.AddMessage("rule_bad_role", "没有角色「{value}」，请从角色列表中选择", "there is no role \"{value}\"; choose one from the roles")
	problem.AddMessage("rule_create_values", "请至少填写新记录的一个字段", "give the new record at least one value")
	problem.AddMessage("rule_loop", "规则互相触发超过 {max} 层，已停止：{rules}。请检查这些规则的条件和动作", "rules triggered each other more than {max} levels deep and were stopped: {rules}; check their conditions and actions")
	problem.AddMessage("rule_graded_field", "「{field}」由分级方案「{scheme}」决定，规则不能改它。请改分级方案的条件，或先停用该方案", "\"{field}\" is kept by the grading scheme \"{scheme}\", so a rule cannot change it; change the scheme's levels, or disable the scheme first")
	problem.AddTerm("rule", "规则", "rule")
}

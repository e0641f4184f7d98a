// Package formula evaluates the formulas of rule actions over one record: Excel-style
// expressions such as IF(累计消费金额 > 10000, "VIP", "普通") or DATEADD(NOW(), 24, "hour"),
// with fields named as people name them (a name that is not a plain word goes in braces:
// {客户-等级}). Formulas are sandboxed: only the functions listed in Functions exist, there is
// no member access, no loops, no ranges and no I/O, and a formula is at most MaxLen
// characters and MaxNodes operations, so every evaluation takes bounded time.
package formula

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"tierbase/core/schema"
	"tierbase/platform/problem"
)

// Limits of a formula.
const (
	MaxLen   = 2000
	MaxNodes = 500
)

// Formula is a compiled formula over the fields of one table.
type Formula struct {
	Source string
	prog   *vm.Program
	vars   map[string]*schema.Field // expr identifier → field
}

// Env is what a formula sees besides the record: the clock and the zone of TODAY().
type Env struct {
	Now time.Time
	Loc *time.Location
}

// Compile checks src against table t. Errors are problems with code bad_formula naming what
// is wrong (an unknown field or function, a syntax error with its position).
func Compile(src string, t *schema.Table) (*Formula, error) {
	src = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(src), "="))
	if src == "" {
		return nil, bad("empty")
	}
	if len(src) > MaxLen || !utf8.ValidString(src) {
		return nil, bad(fmt.Sprintf("longer than %d characters", MaxLen))
	}
	code, braced, at, err := unbrace(src)
	if err != nil {
		return nil, err
	}
	tree, err := parser.Parse(code)
	if err != nil {
		return nil, bad(firstLine(err.Error()))
	}
	f := &Formula{Source: src, vars: map[string]*schema.Field{}}
	// First the shape: allowed nodes only, and which identifiers are called.
	var walkErr error
	count := 0
	callees := map[*ast.IdentifierNode]bool{}
	ast.Walk(&tree.Node, visitor(func(n ast.Node) {
		count++
		if walkErr != nil {
			return
		}
		switch n := n.(type) {
		case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode,
			*ast.ConstantNode, *ast.ConditionalNode, *ast.IdentifierNode:
		case *ast.UnaryNode:
			if n.Operator != "-" && n.Operator != "+" && n.Operator != "!" && n.Operator != "not" {
				walkErr = bad("operator " + n.Operator + " is not allowed")
			}
		case *ast.BinaryNode:
			if !allowedOps[n.Operator] {
				walkErr = bad("operator " + n.Operator + " is not allowed")
			}
		case *ast.CallNode:
			id, ok := n.Callee.(*ast.IdentifierNode)
			if !ok {
				walkErr = bad("only functions can be called")
			} else if _, ok := functions[id.Value]; !ok {
				walkErr = problem.Invalid("unknown_function", "name", id.Value, "pos", at(id), "functions", strings.Join(Functions(), ", ")).At("formula")
			}
			callees[id] = true
		default:
			walkErr = bad(fmt.Sprintf("%T is not allowed", n))
		}
	}))
	if walkErr == nil && count > MaxNodes {
		walkErr = bad(fmt.Sprintf("more than %d operations", MaxNodes))
	}
	// Then the names: every other identifier is a field of t.
	ast.Walk(&tree.Node, visitor(func(n ast.Node) {
		id, ok := n.(*ast.IdentifierNode)
		if !ok || walkErr != nil || callees[id] {
			return
		}
		name := id.Value
		if b, ok := braced[name]; ok {
			name = b
		}
		fld := t.Field(name)
		if fld == nil {
			walkErr = problem.Invalid("formula_unknown_field", "table", t.Name, "name", name, "pos", at(id)).At("formula")
			return
		}
		f.vars[id.Value] = fld
	}))
	if walkErr != nil {
		return nil, walkErr
	}
	opts := []expr.Option{expr.Env(f.sampleEnv()), expr.DisableAllBuiltins(), expr.MaxNodes(MaxNodes)}
	f.prog, err = expr.Compile(code, opts...)
	if err != nil {
		return nil, bad(firstLine(err.Error()))
	}
	return f, nil
}

var allowedOps = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true,
	"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"&&": true, "||": true, "and": true, "or": true, "??": true}

type visitor func(ast.Node)

func (v visitor) Visit(n *ast.Node) { v(*n) }

// Fields returns the ids of the fields the formula reads.
func (f *Formula) Fields() []string {
	var out []string
	for _, fld := range f.vars {
		out = append(out, fld.ID)
	}
	return out
}

// Eval computes the formula for a record (values by field id, in storage form). Numbers come
// out as float64, dates as "2006-01-02", date-times as RFC 3339 strings.
func (f *Formula) Eval(rec map[string]any, env Env) (v any, err error) {
	vars := make(map[string]any, len(f.vars)+len(functions))
	for name, fld := range f.vars {
		vars[name] = value(fld, rec[fld.ID])
	}
	for name, fn := range functions {
		vars[name] = fn.bind(env)
	}
	defer func() { // a function given the wrong kind of value panics inside expr
		if r := recover(); r != nil {
			v, err = nil, problem.Invalid("formula_failed", "reason", fmt.Sprint(r)).At("formula")
		}
	}()
	out, err := expr.Run(f.prog, vars)
	if err != nil {
		return nil, problem.Invalid("formula_failed", "reason", firstLine(err.Error())).At("formula")
	}
	return plain(out), nil
}

// sampleEnv is the shape of Eval's variables, for expr's type check.
func (f *Formula) sampleEnv() map[string]any {
	vars := map[string]any{}
	for name, fld := range f.vars {
		vars[name] = value(fld, nil)
	}
	for name, fn := range functions {
		vars[name] = fn.bind(Env{Now: time.Unix(0, 0), Loc: time.UTC})
	}
	return vars
}

// value gives a field's value the type formulas work with; empty numbers are 0 and empty
// text "", as in a spreadsheet.
func value(f *schema.Field, v any) any {
	switch f.Type {
	case schema.Number, schema.Money, schema.Percent, schema.Rating, schema.User, schema.Link:
		switch x := v.(type) {
		case float64:
			return x
		case int64: // ids: of the record, a user, a linked record
			return float64(x)
		}
		return 0.0
	case schema.Checkbox:
		b, _ := v.(bool)
		return b
	case schema.MultiSelect, schema.Tags:
		list, _ := v.([]string)
		return strings.Join(list, ",")
	}
	s, _ := v.(string)
	return s
}

func plain(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	}
	return v
}

// unbrace replaces {field name} (outside string literals) by identifiers expr accepts,
// writes function names in capitals (so if( and len( are ours, not expr's keywords), and
// reads Excel's comparisons: a lone = as ==, and <> as !=. at gives the 1-based character
// of src where a node of the rewritten code starts.
func unbrace(src string) (code string, braced map[string]string, at func(ast.Node) int, err error) {
	var b strings.Builder
	braced = map[string]string{}
	var from []int // per rune of the rewritten code, the rune of src it comes from
	mark := func(i int, s string) {
		n := utf8.RuneCountInString(src[:i])
		for range utf8.RuneCountInString(s) {
			from = append(from, n)
		}
	}
	at = func(n ast.Node) int {
		if r := n.Location().From; r >= 0 && r < len(from) {
			return from[r] + 1
		}
		return 1
	}
	var quote rune
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case quote != 0:
			if r == '\\' && i+size < len(src) {
				b.WriteString(src[i : i+size+1])
				i += size + 1
				continue
			}
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case unicode.IsLetter(r) || r == '_':
			j := i
			for j < len(src) {
				r2, n := utf8.DecodeRuneInString(src[j:])
				if !(unicode.IsLetter(r2) || unicode.IsDigit(r2) || r2 == '_') {
					break
				}
				j += n
			}
			word := src[i:j]
			rest := strings.TrimLeft(src[j:], " \t")
			if _, ok := functions[strings.ToUpper(word)]; ok && strings.HasPrefix(rest, "(") {
				word = strings.ToUpper(word)
			}
			mark(i, word)
			b.WriteString(word)
			i = j
			continue
		case r == '=' && i+1 < len(src) && src[i+1] == '=', r == '<' && i+1 < len(src) && src[i+1] == '>':
			op := map[rune]string{'=': "==", '<': "!="}[r] // == as it is, <> as !=
			mark(i, op)
			b.WriteString(op)
			i += 2
			continue
		case r == '=' && (i == 0 || !strings.ContainsRune("=!<>", rune(src[i-1]))):
			mark(i, "==")
			b.WriteString("==")
			i += size
			continue
		case r == '{':
			end := strings.IndexRune(src[i:], '}')
			if end < 0 {
				return "", nil, nil, bad("a { has no matching }")
			}
			name := strings.TrimSpace(src[i+1 : i+end])
			id := fmt.Sprintf("ƒ%d", len(braced))
			braced[id] = name
			mark(i, id)
			b.WriteString(id)
			i += end + 1
			continue
		}
		mark(i, string(r))
		b.WriteRune(r)
		i += size
	}
	return b.String(), braced, at, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func bad(reason string) *problem.Error {
	return problem.Invalid("bad_formula", "reason", reason).At("formula")
}

func init() {
	problem.AddMessage("bad_formula", "公式有误：{reason}", "the formula is not valid: {reason}")
	problem.AddMessage("formula_failed", "公式计算失败：{reason}", "the formula could not be computed: {reason}")
	problem.AddMessage("unknown_function", "第 {pos} 个字符处：没有函数「{name}」，可用的函数：{functions}", "at character {pos}: there is no function \"{name}\"; the functions are: {functions}")
	problem.AddMessage("formula_unknown_field", "第 {pos} 个字符处：表「{table}」没有字段「{name}」", "at character {pos}: table \"{table}\" has no field \"{name}\"")
}

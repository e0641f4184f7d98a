package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// formula is a parsed arithmetic expression over measure names, such as
// 赢单数 / 商机数 * 100: numbers, names, + − × ÷ (or - * /) and parentheses.
type formula struct {
	op          byte // '+', '-', '*', '/', 'n' (number), 'v' (name), '~' (negation)
	num         float64
	name        string
	left, right *formula
}

// maxFormulaLen bounds the text of a formula.
const maxFormulaLen = 500

// parseFormula parses s. Names are runs of characters other than spaces, operators and
// parentheses that do not read as a number.
func parseFormula(s string) (*formula, error) {
	if len(s) > maxFormulaLen {
		return nil, fmt.Errorf("longer than %d bytes", maxFormulaLen)
	}
	p := &formulaParser{toks: tokenize(s)}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("empty formula")
	}
	f, err := p.sum(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	return f, nil
}

// tokenize splits a formula into operators, parentheses and operands; × ÷ − become * / -.
func tokenize(s string) []string {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			flush()
		case strings.ContainsRune("+-*/()×÷−（）", r):
			flush()
			toks = append(toks, string(normalOp(r)))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

func normalOp(r rune) rune {
	switch r {
	case '×':
		return '*'
	case '÷':
		return '/'
	case '−':
		return '-'
	case '（':
		return '('
	case '）':
		return ')'
	}
	return r
}

type formulaParser struct {
	toks []string
	i    int
}

// maxFormulaDepth bounds nesting, so no input recurses deeply.
const maxFormulaDepth = 50

func (p *formulaParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

// sum := product (('+'|'-') product)*
func (p *formulaParser) sum(depth int) (*formula, error) {
	left, err := p.product(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t == "+" || t == "-"; t = p.peek() {
		p.i++
		right, err := p.product(depth)
		if err != nil {
			return nil, err
		}
		left = &formula{op: t[0], left: left, right: right}
	}
	return left, nil
}

// product := unary (('*'|'/') unary)*
func (p *formulaParser) product(depth int) (*formula, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t == "*" || t == "/"; t = p.peek() {
		p.i++
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = &formula{op: t[0], left: left, right: right}
	}
	return left, nil
}

// unary := '-' unary | '(' sum ')' | number | name
func (p *formulaParser) unary(depth int) (*formula, error) {
	if depth > maxFormulaDepth {
		return nil, fmt.Errorf("nested too deeply")
	}
	t := p.peek()
	p.i++
	switch t {
	case "":
		return nil, fmt.Errorf("incomplete formula")
	case "-":
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &formula{op: '~', left: x}, nil
	case "(":
		x, err := p.sum(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.i++
		return x, nil
	case ")", "+", "*", "/":
		return nil, fmt.Errorf("unexpected %q", t)
	}
	if n, err := strconv.ParseFloat(t, 64); err == nil {
		return &formula{op: 'n', num: n}, nil
	}
	return &formula{op: 'v', name: t}, nil
}

// names calls fn with every measure name the formula uses.
func (f *formula) names(fn func(string)) {
	if f == nil {
		return
	}
	if f.op == 'v' {
		fn(f.name)
	}
	f.left.names(fn)
	f.right.names(fn)
}

// eval computes the formula; a missing operand, a division by zero or an overflow gives nil.
func (f *formula) eval(vals map[string]*float64) *float64 {
	var v float64
	switch f.op {
	case 'n':
		v = f.num
	case 'v':
		return vals[f.name]
	case '~':
		x := f.left.eval(vals)
		if x == nil {
			return nil
		}
		v = -*x
	default:
		a, b := f.left.eval(vals), f.right.eval(vals)
		if a == nil || b == nil {
			return nil
		}
		switch f.op {
		case '+':
			v = *a + *b
		case '-':
			v = *a - *b
		case '*':
			v = *a * *b
		case '/':
			if *b == 0 {
				return nil
			}
			v = *a / *b
		}
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

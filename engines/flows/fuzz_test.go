package flows_test

import (
	"encoding/json"
	"testing"

	"tierbase/engines/flows"
)

// FuzzValidate feeds definitions of any shape to validation: it never panics, and what it
// accepts can be described.
func FuzzValidate(f *testing.F) {
	w := newWorld(f)
	for _, seed := range []string{
		`[{"id":"a","type":"approve","name":"审批","who":{"users":[1]}},{"id":"e","type":"end"}]`,
		`[{"id":"c","type":"condition","name":"金额","branches":[{"name":"大","when":{"field":"金额","op":"gt","value":1},"nodes":[{"id":"x","type":"cc","who":{"initiator":true}}]},{"name":"默认","default":true}]},{"id":"e","type":"end"}]`,
		`[{"id":"p","type":"parallel","branches":[{"nodes":[{"id":"d","type":"delay","delay":{"hours":1}}]},{"nodes":[null]}]},{"id":"e","type":"end"}]`,
		`[{"id":"a","type":"approve","who":{"heads":2,"headsOf":"经办人"},"limit":{"days":1,"onExpiry":"escalate","escalateTo":{"roles":["x"]}}},{"id":"d","type":"data","data":{"op":"create","table":"付款单","values":{"金额":"={金额}"}}},{"id":"e","type":"end"}]`,
		`[{"id":"f","type":"fill","who":{"field":"经办人"},"fields":{"事由":"edit"}},{"id":"e","type":"end"}]`,
		`[{"id":"e","type":"end"},{"id":"e","type":"end"}]`, `[]`, `[null]`, `[{"branches":[null]}]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, def string) {
		var nodes []*flows.Node
		if json.Unmarshal([]byte(def), &nodes) != nil {
			return
		}
		fl := &flows.Flow{Table: w.t.ID, Name: "x", Nodes: nodes}
		if w.Flows.Validate(fl) == nil {
			flows.Describe(fl, w.t, func(int64) string { return "" }, func(string) string { return "" }, "zh")
		}
	})
}

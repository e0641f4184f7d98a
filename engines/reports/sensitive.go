package reports

import "tierbase/platform/problem"

// sensitive refuses a chart that groups, measures or lists a 敏感 field: its values are
// sealed, so only its filter may name it (by whole values, as any filter on it does).
func sensitive(p *plan) error {
	refs := append([]ref(nil), p.columns...)
	for _, d := range p.dims {
		refs = append(refs, d.ref)
	}
	for _, m := range p.measures {
		if m.ref.Field != nil {
			refs = append(refs, m.ref)
		}
	}
	for _, r := range refs {
		if r.Field.Sensitive {
			return problem.Invalid("sensitive_op", "name", r.Field.Name)
		}
	}
	return nil
}

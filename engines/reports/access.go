package reports

import (
	"tierbase/core/access"
	"tierbase/platform/problem"
)

// hidden refuses a chart of a table the actor may not view, or that uses a field they may not
// see on every row — as a dimension, measure, date or region field, or in its filter —
// since its numbers would reveal the field. A detail table's column needs only to be seen on
// some rows: it lists records, and shows the field on those rows alone (detail).
func (e *Engine) hidden(p *plan, a access.Actor) error {
	if err := access.CanOn(a, p.t, access.View); err != nil {
		return err
	}
	fs := access.FieldsOf(a, p.t)
	for _, r := range p.columns {
		if fs.Hidden[r.Field.ID] {
			return problem.New(403, "field_hidden", "name", r.Field.Name)
		}
	}
	var refs []ref
	for _, d := range p.dims {
		refs = append(refs, d.ref)
	}
	for _, m := range p.measures {
		if m.ref.Field != nil {
			refs = append(refs, m.ref)
		}
	}
	for _, f := range []*ref{{Field: p.dateF}, {Field: p.regionF}} {
		if f.Field != nil {
			refs = append(refs, *f)
		}
	}
	for _, r := range refs {
		if r.Link != nil {
			if !fs.Visible(r.Link.ID) {
				return problem.New(403, "field_hidden", "name", r.Link.Name)
			}
			target, err := e.Catalog.Table(r.Link.LinkTable)
			if err != nil {
				return err
			}
			if !access.FieldsOf(a, target).Visible(r.Field.ID) {
				return problem.New(403, "field_hidden", "name", r.Link.Name+"."+r.Field.Name)
			}
			continue
		}
		if !fs.Visible(r.Field.ID) {
			return problem.New(403, "field_hidden", "name", r.Field.Name)
		}
	}
	if f := access.HiddenIn(p.c.Filter, p.t, fs); f != nil {
		return problem.New(403, "field_hidden", "name", f.Name)
	}
	return nil
}

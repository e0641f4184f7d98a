package api

import (
	"io"
	"net/http"

	"tierbase/core/access"
	"tierbase/core/cond"
	"tierbase/core/divisions"
	"tierbase/core/schema"
)

func (s *Server) fieldTypes(w http.ResponseWriter, r *http.Request) error {
	items := make([]map[string]string, len(schema.Types))
	for i, t := range schema.Types {
		items[i] = map[string]string{"type": string(t), "label": t.Label(lang(r))}
	}
	return writeJSON(w, 200, map[string]any{"items": items})
}

// divisions is the dataset of China's divisions the 地址 cascader offers; it never changes
// while the binary runs, so browsers may keep it a day.
func (s *Server) divisions(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "private, max-age=86400")
	return writeJSON(w, 200, divisions.China)
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	type tableRef struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	type app struct {
		*schema.App
		Tables []tableRef `json:"tables"`
	}
	apps := []app{}
	index := map[string]int{}
	for _, a := range s.Catalog.Apps() {
		index[a.ID] = len(apps)
		apps = append(apps, app{App: a, Tables: []tableRef{}})
	}
	for _, t := range s.viewable(actor(r)) {
		if i, ok := index[t.AppID]; ok && t.Parent == "" { // a sub-table's rows show in their records
			apps[i].Tables = append(apps[i].Tables, tableRef{t.ID, t.Name})
		}
	}
	return writeJSON(w, 200, map[string]any{"items": apps})
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	var in struct{ Name, Icon string }
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.Catalog.CreateApp(r.Context(), actor(r), in.Name, in.Icon)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, a)
}

func (s *Server) installCRM(w http.ResponseWriter, r *http.Request) error {
	a, err := s.InstallCRM(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, 201, a)
}

func (s *Server) listTables(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, 200, map[string]any{"items": s.viewable(actor(r))})
}

// viewable returns the tables the actor may view.
func (s *Server) viewable(a access.Actor) []*schema.Table {
	out := []*schema.Table{}
	for _, t := range s.Catalog.Tables() {
		if access.CanOn(a, t, access.View) == nil {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) createTable(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string          `json:"name"`
		AppID  string          `json:"appId"`
		Fields []*schema.Field `json:"fields"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Catalog.CreateTable(r.Context(), actor(r), in.AppID, in.Name, in.Fields)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, t)
}

// table returns the table of the route, which the actor must be allowed to view.
func (s *Server) table(r *http.Request) (*schema.Table, error) {
	t, err := s.Catalog.Table(r.PathValue("table"))
	if err != nil {
		return nil, err
	}
	return t, access.CanOn(actor(r), t, access.View)
}

// designer is the actor changing the fields and settings of the route's table: the table's
// manage fields action.
func (s *Server) designer(r *http.Request) (schema.Changer, error) {
	t, err := s.table(r)
	if err != nil {
		return nil, err
	}
	return access.Designer{Actor: actor(r), Table: t}, nil
}

// getTable answers the table with its related lists: the link fields of the tables the
// actor may view that point to it (a 客户's 联系人, 订单, 跟进记录), which its record page
// lists.
func (s *Server) getTable(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	type related struct {
		Table     string `json:"table"`
		TableName string `json:"tableName"`
		Field     string `json:"field"`
		FieldName string `json:"fieldName"`
		Multiple  bool   `json:"multiple,omitempty"` // a 多条关联: its records contain the record
	}
	out := struct {
		*schema.Table
		Related []related `json:"related"`
	}{t, []related{}}
	for _, o := range s.viewable(actor(r)) {
		for _, f := range o.Fields {
			if f.Type.Linked() && f.LinkTable == t.ID {
				out.Related = append(out.Related, related{o.ID, o.Name, f.ID, f.Name, f.Type == schema.Links})
			}
		}
	}
	return writeJSON(w, 200, out)
}

func (s *Server) updateTable(w http.ResponseWriter, r *http.Request) error {
	by, err := s.designer(r)
	if err != nil {
		return err
	}
	var in struct {
		Name       *string  `json:"name"`
		TitleField *string  `json:"titleField"`
		FieldOrder []string `json:"fieldOrder"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := s.Catalog.UpdateTable(r.Context(), by, r.PathValue("table"), in.Name, in.TitleField, in.FieldOrder)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, t)
}

func (s *Server) deleteTable(w http.ResponseWriter, r *http.Request) error {
	if err := s.Catalog.DeleteTable(r.Context(), actor(r), r.PathValue("table")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

func (s *Server) addField(w http.ResponseWriter, r *http.Request) error {
	by, err := s.designer(r)
	if err != nil {
		return err
	}
	var f schema.Field
	if err := decode(r, &f); err != nil {
		return err
	}
	out, err := s.Catalog.AddField(r.Context(), by, r.PathValue("table"), &f)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, out)
}

// addFields adds a list of fields in one transaction, all or none; the computed ones are
// backfilled together (schema.Catalog.AddFields).
func (s *Server) addFields(w http.ResponseWriter, r *http.Request) error {
	by, err := s.designer(r)
	if err != nil {
		return err
	}
	var in struct {
		Fields []*schema.Field `json:"fields"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.Catalog.AddFields(r.Context(), by, r.PathValue("table"), in.Fields)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, map[string]any{"items": out})
}

func (s *Server) updateField(w http.ResponseWriter, r *http.Request) error {
	by, err := s.designer(r)
	if err != nil {
		return err
	}
	var p schema.FieldPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	f, err := s.Catalog.UpdateField(r.Context(), by, r.PathValue("table"), r.PathValue("field"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, f)
}

func (s *Server) deleteField(w http.ResponseWriter, r *http.Request) error {
	by, err := s.designer(r)
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteField(r.Context(), by, r.PathValue("table"), r.PathValue("field")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// describeCondition checks a condition and renders it as a sentence.
func (s *Server) describeCondition(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	n, err := parseCondition(string(body), t)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"text": cond.Describe(n, t, lang(r))})
}

// parseCondition parses and checks a condition against t; empty text means no condition.
func parseCondition(text string, t *schema.Table) (*cond.Node, error) {
	if text == "" {
		return nil, nil
	}
	n, err := cond.Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	if err := cond.Check(n, t); err != nil {
		return nil, err
	}
	return n, nil
}

func fieldTypeKeys() []string {
	keys := make([]string, len(schema.Types))
	for i, t := range schema.Types {
		keys[i] = string(t)
	}
	return keys
}

package api

import (
	"net/http"
	"strconv"

	"tierbase/core/access"
	"tierbase/core/org"
	"tierbase/platform/problem"
)

// listDepartments answers the tree: whole for those who manage people, names only for others.
func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	depts := s.Org.Departments()
	if access.Can(actor(r), access.ManageUsers) != nil {
		out := make([]map[string]any, 0, len(depts))
		for _, d := range depts {
			out = append(out, map[string]any{"id": d.ID, "name": d.Name, "parentId": d.ParentID, "position": d.Position})
		}
		return writeJSON(w, 200, map[string]any{"departments": out})
	}
	if depts == nil {
		depts = []org.Department{}
	}
	return writeJSON(w, 200, map[string]any{"departments": depts})
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name     string  `json:"name"`
		ParentID int64   `json:"parentId"`
		Heads    []int64 `json:"heads"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := s.Org.CreateDepartment(r.Context(), actor(r), in.Name, in.ParentID, in.Heads)
	if err != nil {
		return err
	}
	return writeJSON(w, 201, d)
}

func (s *Server) updateDepartment(w http.ResponseWriter, r *http.Request) error {
	id, err := departmentID(r)
	if err != nil {
		return err
	}
	var p org.DepartmentPatch
	if err := decode(r, &p); err != nil {
		return err
	}
	d, err := s.Org.UpdateDepartment(r.Context(), actor(r), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, d)
}

func (s *Server) deleteDepartment(w http.ResponseWriter, r *http.Request) error {
	id, err := departmentID(r)
	if err != nil {
		return err
	}
	if err := s.Org.DeleteDepartment(r.Context(), actor(r), id); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

func departmentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, problem.NotFound("department", r.PathValue("id"))
	}
	return id, nil
}

// listRoles answers every role with its people count, to those who manage people; others
// get the names alone (a person's roles are shown by name).
func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) error {
	roles := s.Org.Roles()
	if access.Can(actor(r), access.ManageUsers) != nil {
		out := make([]map[string]any, 0, len(roles))
		for _, ro := range roles {
			out = append(out, map[string]any{"id": ro.ID, "name": ro.Name})
		}
		return writeJSON(w, 200, map[string]any{"roles": out})
	}
	return writeJSON(w, 200, map[string]any{"roles": roles})
}

// saveRole creates (POST) or replaces (PUT) a role.
func (s *Server) saveRole(w http.ResponseWriter, r *http.Request) error {
	var ro access.Role
	if err := decode(r, &ro); err != nil {
		return err
	}
	ro.ID = r.PathValue("id")
	status := 201
	if ro.ID != "" {
		status = 200
	}
	saved, err := s.Org.SaveRole(r.Context(), actor(r), &ro)
	if err != nil {
		return err
	}
	return writeJSON(w, status, saved)
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := s.Org.DeleteRole(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"ok": true})
}

// importOrg reads the departments and people of an uploaded spreadsheet (the "file" part).
func (s *Server) importOrg(w http.ResponseWriter, r *http.Request) error {
	if err := access.Can(actor(r), access.ManageUsers); err != nil {
		return err
	}
	part, err := uploaded(w, r)
	if err != nil {
		return err
	}
	sum, err := s.Org.Import(r.Context(), actor(r), part, part.FileName())
	if err != nil {
		return err
	}
	return writeJSON(w, 200, sum)
}

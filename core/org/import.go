package org

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"slices"
	"strings"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
)

// Enroll adds the person with the email when there is none and gives them the roles and
// departments (the main one first), writing in the transaction tx, which may have made those
// departments; it answers their id. People show the change once tx commits. Package app sets
// it from package users, which keeps people and their memberships.
type Enroll func(ctx context.Context, tx *sql.Tx, a access.Actor, email, name string, roles []string, departments []int64) (int64, error)

// The import's columns; 主管 and 角色 may be left out.
const (
	colDept  = "部门"
	colName  = "姓名"
	colEmail = "邮箱"
	colHead  = "主管"
	colRoles = "角色"
)

// ImportSummary counts what an import added.
type ImportSummary struct {
	Departments int `json:"departments"` // departments created
	People      int `json:"people"`      // people created
	Rows        int `json:"rows"`
}

// importPerson is one person of the file, merged over the rows that name them.
type importPerson struct {
	email, name string
	paths       []string // departments, the first the main one
	heads       []string // the departments they are 主管 of
	roles       []string // role ids
	row         int      // the first row naming them
}

// Import reads a spreadsheet of 部门 (a path such as 销售部/华东区), 姓名, 邮箱, 主管 (是/否)
// and 角色 (names separated by 、), creates the missing departments, enrolls everyone with
// their departments and roles (s.Enroll) and makes the heads 主管, all in one transaction. A
// person may appear on several rows, one per department; their first row's department is the
// main one. Any bad row refuses the whole file, naming the row and column, and a person the
// write refuses (the last admin losing the role) rolls it all back: nothing changes.
func (s *Service) Import(ctx context.Context, a access.Actor, r io.Reader, fileName string) (ImportSummary, error) {
	var sum ImportSummary
	if err := access.Can(a, access.ManageUsers); err != nil {
		return sum, err
	}
	if s.Enroll == nil {
		return sum, errors.New("org: no Enroll to add people with")
	}
	people, err := s.readImport(r, fileName, &sum)
	if err != nil {
		return sum, err
	}
	known := map[string]bool{}
	for _, u := range s.people.List() {
		known[strings.ToLower(u.Email)] = true
	}
	err = s.change(ctx, a, audit.DeptChange, func(tx *sql.Tx) (map[string]any, error) {
		depts := map[string]int64{}
		for _, p := range people {
			for _, path := range p.paths {
				if _, err := s.ensurePath(ctx, tx, path, depts, &sum); err != nil {
					return nil, atRow(err, p.row)
				}
			}
		}
		err := audit.Write(ctx, tx, s.Now(), audit.Event{UserID: a.UserID, Action: audit.DeptChange,
			Detail: map[string]any{"import": fileName, "rows": sum.Rows, "departments": sum.Departments}})
		if err != nil {
			return nil, err
		}
		heads := map[int64][]int64{}
		for _, p := range people {
			var ids []int64
			for _, path := range p.paths {
				ids = append(ids, depts[path])
			}
			id, err := s.Enroll(ctx, tx, a, p.email, p.name, p.roles, ids)
			if err != nil {
				return nil, atRow(err, p.row)
			}
			if !known[p.email] {
				sum.People++
			}
			for _, path := range p.heads {
				heads[depts[path]] = append(heads[depts[path]], id)
			}
		}
		if len(heads) == 0 {
			return nil, nil
		}
		for d, us := range heads {
			for _, u := range us {
				if _, err := tx.ExecContext(ctx, "INSERT INTO _department_heads(department_id, user_id) VALUES(?, ?) ON CONFLICT DO NOTHING", d, u); err != nil {
					return nil, err
				}
			}
		}
		return map[string]any{"import": fileName, "heads": heads}, nil
	})
	if err != nil {
		return ImportSummary{}, err
	}
	return sum, nil
}

// atRow places a problem at the file's row; other errors stay as they are.
func atRow(err error, row int) error {
	if pe := problem.As(err); pe != nil {
		return pe.AtRow(row)
	}
	return err
}

// readImport reads and checks every row, merging the rows of each person.
func (s *Service) readImport(r io.Reader, fileName string, sum *ImportSummary) ([]*importPerson, error) {
	rd, err := spreadsheet.OpenReader(r, fileName, spreadsheet.Options{})
	if err != nil {
		if errors.Is(err, spreadsheet.ErrEmpty) {
			return nil, problem.Invalid("org_import_empty")
		}
		if pe := problem.As(err); pe != nil {
			return nil, pe
		}
		return nil, problem.Invalid("org_import_file", "reason", err.Error())
	}
	defer rd.Close()
	col := map[string]int{}
	for i, h := range rd.Header() {
		col[h] = i
	}
	for _, c := range []string{colDept, colName, colEmail} {
		if _, ok := col[c]; !ok {
			return nil, problem.Invalid("org_import_column", "column", c)
		}
	}
	roleIDs := map[string]string{}
	for _, r := range s.base.Load().order {
		roleIDs[r.Name], roleIDs[r.ID] = r.ID, r.ID
	}
	cell := func(row []string, c string) string {
		if i, ok := col[c]; ok {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var out []*importPerson
	byEmail := map[string]*importPerson{}
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if pe := problem.As(err); pe != nil {
				return nil, pe
			}
			return nil, problem.Invalid("org_import_file", "reason", err.Error())
		}
		line := rd.Line()
		sum.Rows++
		path, perr := cleanPath(cell(row, colDept))
		if perr != nil {
			return nil, perr.AtRow(line).OnField(colDept)
		}
		email := strings.ToLower(cell(row, colEmail))
		if !strings.Contains(email, "@") || len(email) > 200 || strings.ContainsAny(email, " \t") {
			return nil, problem.Invalid("bad_email", "value", email).AtRow(line).OnField(colEmail)
		}
		name := cell(row, colName)
		if name == "" {
			return nil, problem.Invalid("required").AtRow(line).OnField(colName)
		}
		head := false
		switch strings.ToLower(cell(row, colHead)) {
		case "是", "y", "yes", "true", "1":
			head = true
		case "", "否", "n", "no", "false", "0":
		default:
			return nil, problem.Invalid("bad_bool", "value", cell(row, colHead)).AtRow(line).OnField(colHead)
		}
		var roles []string
		for _, n := range strings.FieldsFunc(cell(row, colRoles), func(r rune) bool { return strings.ContainsRune("、,，;；", r) }) {
			n = strings.TrimSpace(n)
			id, ok := roleIDs[n]
			if !ok {
				return nil, problem.Invalid("org_import_role", "value", n).AtRow(line).OnField(colRoles)
			}
			roles = append(roles, id)
		}
		p := byEmail[email]
		if p == nil {
			p = &importPerson{email: email, name: name, row: line}
			byEmail[email] = p
			out = append(out, p)
		}
		if !slices.Contains(p.paths, path) {
			p.paths = append(p.paths, path)
		}
		if head {
			p.heads = append(p.heads, path)
		}
		for _, id := range roles {
			if !slices.Contains(p.roles, id) {
				p.roles = append(p.roles, id)
			}
		}
	}
	if len(out) == 0 {
		return nil, problem.Invalid("org_import_empty")
	}
	return out, nil
}

// cleanPath checks a department path and writes it with single slashes and trimmed names.
func cleanPath(path string) (string, *problem.Error) {
	var parts []string
	for _, p := range strings.Split(path, "/") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if len([]rune(p)) > maxDeptName {
			return "", problem.Invalid("dept_bad_name", "max", maxDeptName)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "", problem.Invalid("required")
	}
	return strings.Join(parts, "/"), nil
}

// ensurePath returns the department at path, creating it and those above it when missing.
func (s *Service) ensurePath(ctx context.Context, tx *sql.Tx, path string, seen map[string]int64, sum *ImportSummary) (int64, error) {
	if id, ok := seen[path]; ok {
		return id, nil
	}
	var parent int64
	parts := strings.Split(path, "/")
	for i, name := range parts {
		sub := strings.Join(parts[:i+1], "/")
		if id, ok := seen[sub]; ok {
			parent = id
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM _departments WHERE parent_id = ? AND name = ?", parent, name).Scan(&id)
		if err == sql.ErrNoRows {
			if id, err = s.createTx(ctx, tx, name, parent, nil); err != nil {
				return 0, err
			}
			sum.Departments++
		} else if err != nil {
			return 0, err
		}
		seen[sub], parent = id, id
	}
	return parent, nil
}

func init() {
	problem.AddMessage("org_import_column", "文件缺少「{column}」列：需要 部门、姓名、邮箱 三列（主管、角色 可选）",
		"the file has no \"{column}\" column: it needs 部门, 姓名 and 邮箱 (主管 and 角色 are optional)")
	problem.AddMessage("org_import_empty", "文件中没有人员数据，请在表头下每行填写一个人", "the file has no people; put one person per row below the header")
	problem.AddMessage("org_import_file", "无法读取文件：{reason}", "the file cannot be read: {reason}")
	problem.AddMessage("org_import_role", "没有角色「{value}」，请先在角色页面创建，或改为已有的角色（多个用、分隔）",
		"there is no role \"{value}\"; create it on the Roles page first or use an existing one (separate several with commas)")
}

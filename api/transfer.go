package api

import (
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"tierbase/core/schema"
	"tierbase/engines/exporter"
	"tierbase/engines/importer"
	"tierbase/platform/problem"
)

// maxUpload bounds an uploaded spreadsheet.
const maxUpload = 2 << 30

// upload receives a spreadsheet (multipart field "file"; ?sheet= chooses an XLSX sheet) and
// answers its preview, proposed field types and — for a table — a proposed mapping.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	var t *schema.Table
	if r.PathValue("table") != "" {
		var err error
		if t, err = s.table(r); err != nil {
			return err
		}
	}
	part, err := uploaded(w, r)
	if err != nil {
		return err
	}
	job, err := s.Imports.Upload(actor(r), part, part.FileName(), r.URL.Query().Get("sheet"))
	if err != nil {
		return fileProblem(err)
	}
	res := map[string]any{"id": job.ID, "fileName": job.FileName, "header": job.Header, "preview": job.Preview,
		"lines": job.Lines, "columns": job.Columns, "rows": job.Rows}
	if t != nil {
		res["mapping"] = fieldNames(t, importer.Suggest(job.Header, t))
	} else {
		res["titleColumn"] = importer.TitleColumn(job.Columns) // for a new table; -1: none
	}
	return writeJSON(w, 201, res)
}

// uploaded returns the uploaded file of a multipart request (its "file" part), read as it
// streams in and cut off at maxUpload.
func uploaded(w http.ResponseWriter, r *http.Request) (*multipart.Part, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, problem.Invalid("bad_param", "param", "file", "reason", "param_multipart")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, problem.Invalid("bad_param", "param", "file", "reason", "param_no_file")
		}
		if part.FormName() == "file" && part.FileName() != "" {
			return part, nil
		}
	}
}

// fileProblem turns a file-reading error (wrong type, bad sheet, empty) into a 400.
func fileProblem(err error) error {
	if problem.As(err) != nil {
		return err
	}
	return problem.Invalid("bad_file", "reason", err.Error())
}

func fieldNames(t *schema.Table, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if f := t.Field(id); f != nil {
			out[i] = f.Name
		}
	}
	return out
}

type startRequest struct {
	Table    string `json:"table"` // an existing table, or
	NewTable *struct {
		Name    string            `json:"name"`
		AppID   string            `json:"appId"`
		Columns []importer.Column `json:"columns"` // field name, type and options per created field
		// TitleField names the column whose field names the records; by default a name-like
		// column (importer.TitleColumn).
		TitleField string `json:"titleField"`
	} `json:"newTable"`
	Columns     []string      `json:"columns"` // per file column: field name or id, "" to skip
	Mode        importer.Mode `json:"mode"`
	Key         string        `json:"key"`
	SkipInvalid bool          `json:"skipInvalid"`
}

// startImport starts an uploaded file's import into a table, or into a new table.
func (s *Server) startImport(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	job, err := s.Imports.Get(a, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in startRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	var t *schema.Table
	plan := importer.Plan{Columns: in.Columns, Mode: in.Mode, Key: in.Key, SkipInvalid: in.SkipInvalid, CreateTable: in.NewTable != nil}
	if in.NewTable != nil {
		nt := in.NewTable
		if t, err = s.Catalog.Draft(r.Context(), nt.AppID, nt.Name, importer.Fields(nt.Columns)); err != nil {
			return err
		}
		title := importer.TitleColumn(nt.Columns)
		if nt.TitleField != "" {
			title = slices.IndexFunc(nt.Columns, func(c importer.Column) bool { return c.Name == nt.TitleField })
			if title < 0 {
				return problem.Invalid("unknown_field", "table", nt.Name, "name", nt.TitleField).At("newTable.titleField")
			}
		}
		if title >= 0 {
			t.TitleField = t.UserFields()[title].ID // Draft keeps the columns' order
		}
		if plan.Columns == nil {
			plan.Columns = importer.Suggest(job.Header, t)
		}
	} else if t, err = s.Catalog.Table(in.Table); err != nil {
		return err
	}
	// A plan that cannot work is refused now, while the upload can still be started again.
	if err := s.Imports.Importer.Check(t, job.Header, plan); err != nil {
		return err
	}
	if err := s.Imports.Start(job, a, t, plan); err != nil {
		return err
	}
	return s.importStatus(w, r)
}

// importStatus answers an import's progress and, when finished, its result.
func (s *Server) importStatus(w http.ResponseWriter, r *http.Request) error {
	job, err := s.Imports.Get(actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	st := job.Status()
	res := map[string]any{"id": job.ID, "fileName": job.FileName, "state": st.State, "read": st.Read, "rows": st.Rows}
	if st.Table != nil {
		res["table"] = map[string]string{"id": st.Table.ID, "name": st.Table.Name}
	}
	if st.Result != nil {
		p := st.Result
		res["result"] = map[string]any{"read": p.Read, "inserted": p.Inserted, "updated": p.Updated,
			"unchanged": p.Unchanged, "rejected": p.Rejected, "committed": p.Committed, "seconds": p.Elapsed.Seconds()}
		problems := make([]map[string]any, 0, min(len(p.Problems), 100))
		for _, pr := range p.Problems[:min(len(p.Problems), 100)] {
			problems = append(problems, map[string]any{"line": pr.Line, "column": pr.Column, "value": pr.Value, "message": pr.Err.Message(lang(r))})
		}
		res["problems"] = problems
	}
	if st.Err != nil {
		pe := problem.As(st.Err)
		if pe == nil {
			pe = problem.New(500, "internal")
		}
		res["error"] = map[string]any{"code": pe.Code, "message": pe.Message(lang(r))}
	}
	return writeJSON(w, 200, res)
}

// importReport downloads the rejected rows with their reasons (?format=xlsx or csv).
func (s *Server) importReport(w http.ResponseWriter, r *http.Request) error {
	job, err := s.Imports.Get(actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	st := job.Status()
	if st.Result == nil {
		return problem.New(409, "import_not_finished")
	}
	format := formatParam(r)
	suffix := "-错误报告."
	if lang(r) == "en" {
		suffix = "-errors."
	}
	name := strings.TrimSuffix(job.FileName, filepath.Ext(job.FileName)) + suffix + format
	attachment(w, name, format)
	return importer.WriteReport(w, st.Result, format, lang(r))
}

func formatParam(r *http.Request) string {
	if f := r.URL.Query().Get("format"); f == "csv" {
		return "csv"
	}
	return "xlsx"
}

func attachment(w http.ResponseWriter, name, format string) {
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
}

// export streams the table's records (those the caller may see, matching ?filter and ?q, in
// ?sort order — by default newest first, as the records list and the grid show them) as
// ?format=xlsx or csv.
func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	filter, err := parseCondition(r.URL.Query().Get("filter"), t)
	if err != nil {
		return err
	}
	format := formatParam(r)
	attachment(w, fmt.Sprintf("%s-%s.%s", t.Name, time.Now().Format("20060102"), format), format)
	q := r.URL.Query()
	sort := q.Get("sort")
	if sort == "" {
		sort = "-" + schema.FieldID
	}
	_, err = exporter.Write(r.Context(), s.Records, actor(r), t, exporter.Query{Filter: filter, Search: q.Get("q"), Sort: sort, Base: s.base(r)}, w, format, nil)
	return err
}

func init() {
	problem.AddMessage("bad_file", "无法读取文件：{reason}", "cannot read the file: {reason}")
	problem.AddMessage("import_not_finished", "导入还没有结束", "the import has not finished yet")
}

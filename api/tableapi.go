package api

import (
	"encoding/json"
	"net/http"
	"net/url"

	"tierbase/core/access"
	"tierbase/core/schema"
)

// tableOpenAPI serves the OpenAPI document of one table's record endpoints, as NocoDB and
// Baserow do: its records typed field by field, with only the fields the caller may read
// (and, in the bodies it sends, only those they may change).
func (s *Server) tableOpenAPI(w http.ResponseWriter, r *http.Request) error {
	t, err := s.table(r)
	if err != nil {
		return err
	}
	fs := access.FieldsOf(actor(r), t)
	base := "/api/tables/" + url.PathEscape(t.ID) + "/records"
	read, write := map[string]any{}, map[string]any{}
	var required []string
	for _, f := range t.Fields {
		if !fs.Visible(f.ID) {
			continue
		}
		key := f.Name
		if f.ID == schema.FieldID {
			key = "id" // records carry their id as "id", whatever the field's display name
		}
		read[key] = fieldSchema(f, true)
		writable := fs.Writable(f.ID) && f.Type != schema.AutoNumber && (!f.System || f.ID == schema.FieldOwner)
		if writable {
			write[f.Name] = fieldSchema(f, false)
			if f.Required {
				required = append(required, f.Name)
			}
		}
	}
	record := map[string]any{"type": "object", "properties": read,
		"description": "表「" + t.Name + "」的一条记录，以字段名为键 / a record of " + t.Name + ", keyed by field name"}
	input := map[string]any{"type": "object", "properties": write, "additionalProperties": false,
		"description": "可写的字段；也接受常用的文本写法，如 2026/11/23、¥1,234.50、是 / the fields you may write; friendly text is accepted too"}
	create := map[string]any{"allOf": []any{ref("RecordInput")}}
	if len(required) > 0 {
		create["required"] = required
	}
	idParam := map[string]any{"name": "id", "in": "path", "required": true, "schema": integer, "description": "记录 ID / record id"}
	example := "id" // a field the caller may read, for the examples of filter and sort
	for _, f := range t.Fields {
		if fs.Visible(f.ID) && !f.System {
			example = f.Name
			break
		}
	}
	name, _ := json.Marshal(example)
	docs := map[string]string{
		"filter": `条件 JSON / condition JSON, e.g. {"and":[{"field":` + string(name) + `,"op":"notEmpty"}]}`,
		"sort":   "排序，- 为倒序 / sort, - for descending, e.g. -" + example + ",id",
	}
	q := func(name string, schema map[string]any) map[string]any {
		d, ok := docs[name]
		if !ok {
			d = queryDocs[name]
		}
		return map[string]any{"name": name, "in": "query", "schema": schema, "description": d}
	}
	answer := func(status, schema string) map[string]any {
		return map[string]any{
			status: map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": ref(schema)}}},
			"4XX":  map[string]any{"description": "错误 / error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}},
		}
	}
	body := func(schema string) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(schema)}}}
	}
	withTitles := map[string]any{"allOf": []any{ref("Record"), obj(map[string]any{"_titles": ref("Titles")})}}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "tierbase · " + t.Name, "version": s.Version,
			"description": "表「" + t.Name + "」的记录接口，只含你能查看的字段。完整接口见 /api/openapi.json。 / The record endpoints of the table " + t.Name + ", with the fields you may read. The whole API: /api/openapi.json."},
		"servers":  []any{map[string]any{"url": origin(r)}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths": map[string]any{
			base: map[string]any{
				"get": map[string]any{"operationId": "listRecords", "summary": "查询记录 / List records",
					"parameters": []any{q("filter", str), q("sort", str), q("limit", integer), q("offset", integer), q("skipTotal", str), q("q", str)},
					"responses":  answer("200", "RecordPage")},
				"post": map[string]any{"operationId": "createRecord", "summary": "新增记录 / Create a record",
					"requestBody": body("RecordCreate"), "responses": answer("201", "RecordWithTitles")},
			},
			base + "/batch": map[string]any{
				"post": map[string]any{"operationId": "batchRecords", "summary": "批量新增或修改（全部成功或全部不写入）/ Create or update many, all or nothing",
					"requestBody": body("Batch"), "responses": answer("200", "RecordList")},
			},
			base + "/{id}": map[string]any{
				"parameters": []any{idParam},
				"get":        map[string]any{"operationId": "getRecord", "summary": "读取记录 / Get a record", "responses": answer("200", "RecordWithTitles")},
				"patch": map[string]any{"operationId": "updateRecord", "summary": "修改记录（只发送要改的字段）/ Update a record (send only what changes)",
					"requestBody": body("RecordInput"), "responses": answer("200", "RecordWithTitles")},
				"delete": map[string]any{"operationId": "deleteRecord", "summary": "删除记录 / Delete a record", "responses": answer("200", "OK")},
			},
		},
		"components": map[string]any{
			"schemas": map[string]any{
				"Record":           record,
				"RecordInput":      input,
				"RecordCreate":     create,
				"RecordWithTitles": withTitles,
				"RecordList":       list(ref("Record")),
				"RecordPage": obj(map[string]any{"items": map[string]any{"type": "array", "items": ref("Record")},
					"total": integer, "_titles": ref("Titles")}),
				"Batch": obj(map[string]any{"items": map[string]any{"type": "array",
					"items": map[string]any{"allOf": []any{ref("RecordInput")}, "properties": map[string]any{"id": integer}}}}, "items"),
				"Titles": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "object", "additionalProperties": str},
					"description": "成员和关联记录的显示名：字段名 → ID → 名称 / display names of user and link values: field → id → name"},
				"OK":    obj(map[string]any{"ok": boolean}),
				"Error": schemas()["Error"],
			},
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "POST /api/auth/login 返回的 token"}},
		},
	}
	return writeJSON(w, 200, doc)
}

// fieldSchema is the JSON schema of a field's value as records carry it (null when empty);
// answer marks the fields only the server sets as read-only.
func fieldSchema(f *schema.Field, answer bool) map[string]any {
	m := map[string]any{}
	typ := "string"
	switch f.Type {
	case schema.Number, schema.Percent, schema.Money:
		typ = "number"
		if f.Min != nil {
			m["minimum"] = *f.Min
		}
		if f.Max != nil {
			m["maximum"] = *f.Max
		}
	case schema.Rating:
		typ = "integer"
		m["minimum"] = 0
		if f.Max != nil {
			m["maximum"] = *f.Max
		}
	case schema.Checkbox:
		typ = "boolean"
	case schema.User:
		typ = "integer"
		m["description"] = "成员 ID（名称见 _titles）/ user id (names in _titles)"
	case schema.Link:
		typ = "integer"
		m["description"] = "关联记录的 ID，表 " + f.LinkTable + "（标题见 _titles）/ id of a record of table " + f.LinkTable + " (titles in _titles)"
	case schema.Links:
		m["type"] = []string{"array", "null"}
		m["items"] = map[string]any{"type": "integer"}
		m["maxItems"] = schema.MaxLinks
		m["description"] = "多条关联：表 " + f.LinkTable + " 的记录 ID（标题见 _titles）/ ids of records of table " + f.LinkTable + " (titles in _titles)"
	case schema.Numbers:
		m["type"] = []string{"array", "null"}
		m["items"] = map[string]any{"type": "number"}
		m["description"] = "数字列表：经由多条关联取来的每条记录的数字 / numbers, one per record linked through a multi-link"
	case schema.Department:
		typ = "integer"
		m["description"] = "部门 ID（名称见 _titles 与 GET /api/departments）/ department id (names in _titles and GET /api/departments)"
	case schema.Date:
		m["format"] = "date"
	case schema.DateTime:
		m["format"] = "date-time"
	case schema.Email:
		m["format"] = "email"
	case schema.URL:
		m["format"] = "uri"
	case schema.Phone:
		m["pattern"] = `^1\d{10}$`
	case schema.Landline:
		m["description"] = "座机：区号-号码[-分机]，写法如 (0755)8888 8888转12 亦可 / landline: area code-number[-extension], other spellings accepted"
		m["examples"] = []any{"0755-88888888-12", "010-12345678", "400-800-8888"}
	case schema.Select:
		m["enum"] = append(anyList(f.OptionValues()), nil)
	case schema.MultiSelect, schema.Tags:
		item := map[string]any{"type": "string"}
		if f.Type == schema.MultiSelect {
			item["enum"] = anyList(f.OptionValues())
		}
		m["type"] = []string{"array", "null"}
		m["items"] = item
	case schema.File, schema.Image, schema.Signature:
		m["type"] = []string{"array", "null"}
		m["items"] = map[string]any{"type": "object", "required": []string{"hash"}, "properties": map[string]any{
			"hash": map[string]any{"type": "string", "description": "上传接口返回的 hash / the hash the upload answered"},
			"name": map[string]any{"type": "string"}, "size": map[string]any{"type": "integer", "readOnly": true},
			"type": map[string]any{"type": "string", "readOnly": true}, "url": map[string]any{"type": "string", "readOnly": true},
			"thumb": map[string]any{"type": "string", "readOnly": true}}}
		m["description"] = "先 POST /api/tables/{table}/fields/{field}/files 上传 / upload first with POST /api/tables/{table}/fields/{field}/files"
	}
	if _, ok := m["type"]; !ok {
		m["type"] = []string{typ, "null"}
	}
	switch f.ID {
	case schema.FieldID:
		m["type"] = "integer"
	case schema.FieldCreatedAt, schema.FieldUpdatedAt:
		m["format"] = "date-time"
		m["type"] = "string"
	}
	if answer && (f.Type == schema.AutoNumber || (f.System && f.ID != schema.FieldOwner)) {
		m["readOnly"] = true
	}
	m["title"] = f.Name
	if f.Help != "" && m["description"] == nil {
		m["description"] = f.Help
	}
	return m
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

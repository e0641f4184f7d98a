// Package api is the thin HTTP layer: it decodes requests, asks the engines, and encodes
// JSON answers and errors in the caller's language. It knows no SQL and no business rules.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/core/org"
	"tierbase/core/records"
	"tierbase/core/schema"
	"tierbase/core/tokens"
	"tierbase/core/users"
	"tierbase/engines/channels"
	"tierbase/engines/comments"
	"tierbase/engines/events"
	"tierbase/engines/flows"
	"tierbase/engines/forms"
	"tierbase/engines/grading"
	"tierbase/engines/importer"
	"tierbase/engines/inbox"
	"tierbase/engines/reports"
	"tierbase/engines/rules"
	"tierbase/engines/views"
	"tierbase/engines/webhooks"
	"tierbase/engines/workbench"
	"tierbase/platform/backup"
	"tierbase/platform/problem"
	"tierbase/platform/store"
	"tierbase/ui"
)

// Server holds the engines the handlers call.
type Server struct {
	Catalog *schema.Catalog
	Records *records.Service
	Users   *users.Service
	Org     *org.Service // departments and roles
	Imports *importer.Jobs
	Grading *grading.Engine
	Rules   *rules.Engine
	Inbox   *inbox.Service
	Reports *reports.Engine
	// Workbench is each person's home page and their recently opened records (nil: none).
	Workbench *workbench.Engine
	// Channels are the group robots rules post to.
	Channels *channels.Service
	// Tokens are the API tokens other systems call with (nil: bearer sessions only).
	Tokens *tokens.Service
	// Webhooks send record events to other systems.
	Webhooks *webhooks.Service
	// Forms are the public forms (线索收集表单).
	Forms *forms.Service
	// PublicURL is the address people open tierbase at (--public-url), for the forms' QR
	// codes; empty: the address a request came to.
	PublicURL string
	// Events are what customers do elsewhere, sent by other systems (nil: none taken).
	Events *events.Service
	// Views are the tables' saved views.
	Views *views.Service
	// Flows are the approval flows and the to-do boxes.
	Flows *flows.Engine
	// Comments are the comments on records (nil: none).
	Comments *comments.Service
	Audit    *audit.Log // the operation log (操作日志)
	Version  string
	// InstallCRM installs the 客户管理 template as the actor (set by main to avoid an import cycle).
	InstallCRM func(ctx context.Context, by access.Actor) (*schema.App, error)
	// Backups is the data directory's backup directory.
	Backups *backup.Dir
	// SecureCookies marks cookies Secure (set when served over HTTPS).
	SecureCookies bool
	// TrustedProxies are the proxies (nginx) whose X-Forwarded-For and X-Forwarded-Proto are
	// believed: the client's address and HTTPS come from them (clientAddr).
	TrustedProxies []netip.Prefix

	live streams // open notification streams (logout and shutdown end them)
}

type ctxKey int

const (
	actorKey ctxKey = iota
	langKey
)

// Handler returns the HTTP handler of the whole API and the embedded UI.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	open := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle(pattern, s.wrap(h, false))
	}
	auth := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		mux.Handle(pattern, s.wrap(h, true))
	}
	open("GET /api/health", s.health)
	open("GET /api/openapi.json", s.openapi)
	open("GET /api/setup", s.setupStatus)
	open("POST /api/setup", s.setup)
	open("POST /api/auth/login", s.login)
	auth("POST /api/auth/logout", s.logout)
	auth("GET /api/auth/me", s.me)
	auth("PATCH /api/auth/me", s.updateMe)
	auth("POST /api/auth/password", s.changePassword)
	open("GET /api/invites/{token}", s.getInvite)
	open("POST /api/invites/{token}", s.acceptInvite)
	auth("GET /api/users", s.listUsers)
	auth("POST /api/users", s.createUser)
	auth("PATCH /api/users/{id}", s.updateUser)
	auth("POST /api/users/{id}/disable", s.disableUser)
	auth("POST /api/users/{id}/enable", s.enableUser)
	auth("POST /api/users/{id}/invite", s.inviteUser)
	auth("POST /api/users/{id}/reset-password", s.resetPassword)
	auth("GET /api/departments", s.listDepartments)
	auth("POST /api/departments", s.createDepartment)
	auth("PATCH /api/departments/{id}", s.updateDepartment)
	auth("DELETE /api/departments/{id}", s.deleteDepartment)
	auth("GET /api/roles", s.listRoles)
	auth("POST /api/roles", s.saveRole)
	auth("PUT /api/roles/{id}", s.saveRole)
	auth("DELETE /api/roles/{id}", s.deleteRole)
	auth("POST /api/org/import", s.importOrg)
	auth("GET /api/field-types", s.fieldTypes)
	open("GET /api/divisions", s.divisions) // public constants: public forms offer 地址 too
	auth("GET /api/apps", s.listApps)
	auth("POST /api/apps", s.createApp)
	auth("POST /api/templates/crm", s.installCRM)
	auth("GET /api/tables", s.listTables)
	auth("POST /api/tables", s.createTable)
	auth("GET /api/tables/{table}", s.getTable)
	auth("PATCH /api/tables/{table}", s.updateTable)
	auth("DELETE /api/tables/{table}", s.deleteTable)
	auth("POST /api/tables/{table}/fields", s.addField)
	auth("POST /api/tables/{table}/fields/batch", s.addFields)
	auth("PATCH /api/tables/{table}/fields/{field}", s.updateField)
	auth("DELETE /api/tables/{table}/fields/{field}", s.deleteField)
	auth("POST /api/tables/{table}/conditions/describe", s.describeCondition)
	auth("GET /api/tables/{table}/records", s.listRecords)
	auth("POST /api/tables/{table}/records", s.createRecord)
	auth("POST /api/tables/{table}/records/batch", s.batchRecords)
	auth("POST /api/tables/{table}/records/bulk", s.bulk)
	auth("GET /api/tables/{table}/board", s.board)
	auth("GET /api/tables/{table}/groups", s.groups)
	auth("GET /api/tables/{table}/calendar", s.calendar)
	auth("GET /api/tables/{table}/views", s.listViews)
	auth("POST /api/tables/{table}/views", s.saveView)
	auth("GET /api/tables/{table}/views/{id}", s.getView)
	auth("PUT /api/tables/{table}/views/{id}", s.saveView)
	auth("DELETE /api/tables/{table}/views/{id}", s.deleteView)
	auth("GET /api/tables/{table}/records/{id}", s.getRecord)
	auth("PATCH /api/tables/{table}/records/{id}", s.updateRecord)
	auth("DELETE /api/tables/{table}/records/{id}", s.deleteRecord)
	auth("GET /api/tables/{table}/records/{id}/history", s.history)
	auth("POST /api/tables/{table}/fields/{field}/files", s.uploadFile)
	auth("GET /api/tables/{table}/records/{id}/files/{field}/{hash}", s.serveFile)
	auth("GET /api/tables/{table}/records/{id}/events", s.recordEvents)
	auth("POST /api/events", s.postEvents)
	auth("GET /api/tables/{table}/records/{id}/comments", s.recordComments)
	auth("POST /api/tables/{table}/records/{id}/comments", s.addComment)
	auth("DELETE /api/tables/{table}/records/{id}/comments/{comment}", s.deleteComment)
	auth("GET /api/trash", s.listTrash)
	auth("POST /api/trash/{table}/{id}/restore", s.restoreTrash)
	auth("DELETE /api/trash/{table}/{id}", s.forgetTrash)
	auth("GET /api/robots", s.listRobots)
	auth("POST /api/robots", s.saveRobot)
	auth("PUT /api/robots/{id}", s.saveRobot)
	auth("DELETE /api/robots/{id}", s.deleteRobot)
	auth("POST /api/robots/{id}/test", s.testRobot)
	auth("GET /api/robots/{id}/deliveries", s.robotDeliveries)
	auth("GET /api/tokens", s.listTokens)
	auth("POST /api/tokens", s.createToken)
	auth("DELETE /api/tokens/{id}", s.revokeToken)
	auth("GET /api/webhooks", s.listWebhooks)
	auth("POST /api/webhooks", s.saveWebhook)
	auth("GET /api/webhooks/{id}", s.getWebhook)
	auth("PUT /api/webhooks/{id}", s.saveWebhook)
	auth("DELETE /api/webhooks/{id}", s.deleteWebhook)
	auth("GET /api/webhooks/{id}/deliveries", s.webhookDeliveries)
	auth("POST /api/webhooks/{id}/replay", s.replayWebhook)
	auth("POST /api/webhooks/{id}/test", s.testWebhook)
	auth("GET /api/forms", s.listForms)
	auth("POST /api/forms", s.saveForm)
	auth("GET /api/forms/{id}", s.getForm)
	auth("PUT /api/forms/{id}", s.saveForm)
	auth("DELETE /api/forms/{id}", s.deleteForm)
	auth("GET /api/forms/{id}/qr.png", s.formQR)
	open("GET /api/public/forms/{token}", s.publicForm)
	open("GET /api/public/forms/{token}/captcha", s.formCaptcha)
	open("POST /api/public/forms/{token}", s.submitForm)
	auth("GET /api/flows", s.listFlows)
	auth("POST /api/flows", s.saveFlow)
	auth("GET /api/flows/{id}", s.getFlow)
	auth("PUT /api/flows/{id}", s.saveFlow)
	auth("POST /api/flows/{id}/publish", s.publishFlow)
	auth("POST /api/flows/{id}/start", s.startFlow)
	auth("GET /api/instances", s.listRecordInstances)
	auth("GET /api/instances/{id}", s.getInstance)
	auth("POST /api/instances/{id}/withdraw", s.withdrawInstance)
	auth("POST /api/instances/{id}/comments", s.commentInstance)
	auth("POST /api/instances/{id}/urge", s.urgeInstance)
	auth("GET /api/tasks", s.listTasks)
	auth("POST /api/tasks/{id}/{action}", s.actOnTask)
	auth("GET /api/backups", s.listBackups)
	auth("POST /api/backups", s.makeBackup)
	auth("GET /api/backups/{name}", s.downloadBackup)
	auth("GET /api/tables/{table}/export", s.export)
	auth("POST /api/tables/{table}/imports", s.upload)
	auth("POST /api/imports", s.upload)
	auth("GET /api/imports/{id}", s.importStatus)
	auth("POST /api/imports/{id}/start", s.startImport)
	auth("GET /api/imports/{id}/report", s.importReport)
	auth("GET /api/schemes", s.listSchemes)
	auth("POST /api/schemes", s.saveScheme)
	auth("POST /api/schemes/preview", s.previewScheme)
	auth("GET /api/schemes/{id}", s.getScheme)
	auth("PUT /api/schemes/{id}", s.saveScheme)
	auth("DELETE /api/schemes/{id}", s.deleteScheme)
	auth("POST /api/schemes/{id}/run", s.runScheme)
	auth("POST /api/rfm", s.runRFM)
	auth("GET /api/rfm", s.listRFM)
	auth("DELETE /api/rfm/{table}", s.deleteRFM)
	auth("GET /api/rules", s.listRules)
	auth("POST /api/rules", s.saveRule)
	auth("POST /api/rules/preview", s.previewRule)
	auth("GET /api/rules/functions", s.ruleFunctions)
	auth("GET /api/rules/{id}", s.getRule)
	auth("PUT /api/rules/{id}", s.saveRule)
	auth("DELETE /api/rules/{id}", s.deleteRule)
	auth("POST /api/rules/{id}/run", s.runRule)
	auth("GET /api/notifications", s.listNotifications)
	auth("POST /api/notifications/read", s.readNotifications)
	auth("GET /api/notifications/stream", s.notificationStream)
	auth("GET /api/workbench", s.workbench)
	auth("POST /api/recent", s.opened)
	auth("GET /api/tables/{table}/records/{id}/tier-history", s.tierHistory)
	auth("GET /api/tables/{table}/tier-migrations", s.tierMigrations)
	auth("GET /api/dashboards", s.listDashboards)
	auth("POST /api/dashboards", s.saveDashboard)
	auth("GET /api/dashboards/{id}", s.getDashboard)
	auth("PUT /api/dashboards/{id}", s.saveDashboard)
	auth("DELETE /api/dashboards/{id}", s.deleteDashboard)
	auth("POST /api/charts", s.saveChart)
	auth("POST /api/charts/preview", s.previewChart)
	auth("GET /api/charts/{id}", s.getChart)
	auth("PUT /api/charts/{id}", s.saveChart)
	auth("DELETE /api/charts/{id}", s.deleteChart)
	auth("GET /api/charts/{id}/data", s.chartData)
	auth("GET /api/charts/{id}/export.xlsx", s.exportChart)
	auth("GET /api/tables/{table}/openapi.json", s.tableOpenAPI)
	auth("GET /api/audit", s.listAudit)
	auth("GET /api/audit/export", s.exportAudit)
	open("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return problem.NotFound("route", r.Method+" "+r.URL.Path)
	})
	mux.Handle("/", spa())
	return noFraming(mux)
}

// noFraming forbids every page and answer from being shown inside another site's frame
// (clickjacking): CSP frame-ancestors for current browsers, X-Frame-Options for older ones.
// The UI's fuller policy (spa) repeats frame-ancestors.
func noFraming(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// wrap adds language, authentication (when needed), panic recovery and error encoding.
func (s *Server) wrap(h func(w http.ResponseWriter, r *http.Request) error, needAuth bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := problem.Lang(r.Header.Get("Accept-Language"))
		ctx := context.WithValue(r.Context(), langKey, lang)
		defer func() {
			if v := recover(); v != nil {
				log.Printf("panic serving %s %s: %v", r.Method, r.URL.Path, v)
				writeError(w, lang, errors.New("internal error"))
			}
		}()
		if needAuth {
			actor, err := s.authenticate(r)
			if err != nil {
				writeError(w, lang, err)
				return
			}
			ctx = context.WithValue(ctx, actorKey, actor)
		}
		if err := h(w, r.WithContext(ctx)); err != nil {
			writeError(w, lang, err)
		}
	})
}

// authenticate accepts an API token (Bearer tb_…), a bearer session token, or the session
// cookie plus the CSRF header on writes. A session that had to be looked up while the
// database was out of reach is a 503, not a 401 (which would sign the person out).
func (s *Server) authenticate(r *http.Request) (access.Actor, error) {
	if viaToken(r) {
		a, err := s.tokenActor(r)
		if p := problem.As(err); p == nil || p.Code != "token_invalid" {
			return a, err
		}
		// One session token in 262,144 starts with tb_ too: try it as one.
		if u, _, serr := s.Users.Session(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); serr == nil {
			return s.Users.ActorOf(u), nil
		}
		return a, err
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		u, _, err := s.Users.Session(strings.TrimPrefix(h, "Bearer "))
		if err != nil {
			return access.Actor{}, err
		}
		return s.Users.ActorOf(u), nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return access.Actor{}, problem.New(401, "unauthorized")
	}
	u, csrf, err := s.Users.Session(c.Value)
	if err != nil {
		return access.Actor{}, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("X-CSRF-Token") != csrf {
		return access.Actor{}, problem.New(403, "csrf")
	}
	return s.Users.ActorOf(u), nil
}

func actor(r *http.Request) access.Actor {
	a, _ := r.Context().Value(actorKey).(access.Actor)
	return a
}

func lang(r *http.Request) string { l, _ := r.Context().Value(langKey).(string); return l }

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Row     int    `json:"row,omitempty"`
	Path    string `json:"path,omitempty"`
}

func writeError(w http.ResponseWriter, lang string, err error) {
	w.Header().Del("Content-Disposition") // a refused download answers an error, not a file
	status, body := errorBody(lang, w, err)
	writeJSON(w, status, body)
}

// errorBody is the status and the JSON answer of err in the language lang (w takes the
// headers of a 503 or 429).
func errorBody(lang string, w http.ResponseWriter, err error) (int, map[string]any) {
	p := problem.As(err)
	if p == nil && store.Unavailable(err) {
		p = unavailable(w, err)
	}
	if p == nil {
		log.Printf("internal error: %v", err) // the details stay in the log, not in the answer
		p = problem.New(500, "internal")
	}
	details := make([]errorDetail, 0, len(p.Details)+1)
	for _, d := range p.Details {
		details = append(details, errorDetail{Code: d.Code, Message: d.Message(lang), Field: d.Field, Row: d.Row, Path: d.Path})
	}
	if len(p.Details) == 0 && (p.Field != "" || p.Path != "" || p.Row > 0) {
		details = append(details, errorDetail{Code: p.Code, Message: p.Message(lang), Field: p.Field, Row: p.Row, Path: p.Path})
	}
	status := p.Status
	if status == 0 {
		status = 400
	}
	if secs, ok := p.Params["seconds"]; ok && status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", fmt.Sprint(secs))
	}
	for _, d := range p.Details {
		status = max(status, d.Status)
	}
	return status, map[string]any{"error": map[string]any{"code": p.Code, "message": p.Message(lang), "details": details}}
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound("record", r.PathValue("id"))
	}
	return id, nil
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, problem.Invalid("bad_param", "param", name, "reason", "param_count")
	}
	return n, nil
}

// spa serves the embedded UI, answering index.html for client-side routes.
func spa() http.Handler {
	dist, _ := fs.Sub(ui.Dist, "dist")
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p == "" || p == "." {
			p = "index.html"
		}
		if _, err := fs.Stat(dist, p); err != nil {
			r = r.Clone(r.Context())
			r.URL.Path = "/"
		}
		if strings.HasPrefix(p, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		files.ServeHTTP(w, r)
	})
}

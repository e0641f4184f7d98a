// Package app assembles the engines over one data directory — the database, the catalog,
// users, records, the grading engine and the rule engine wired into every record write — for
// the command line and for tests.
package app

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"time"

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
	"tierbase/platform/files"
	"tierbase/platform/jobs"
	"tierbase/platform/outbound"
	"tierbase/platform/secret"
	"tierbase/platform/store"
	"tierbase/templates/crm"
)

// App is an opened data directory with its engines.
type App struct {
	DB       *store.DB
	Dir      string // the data directory: keys, uploads and backups, on either database
	Catalog  *schema.Catalog
	Users    *users.Service
	Org      *org.Service // departments, roles, and the grants every actor is built with
	Records  *records.Service
	Grading  *grading.Engine // schemes, tier history, RFM
	Rules    *rules.Engine   // rules; grades every write through Grading
	Inbox    *inbox.Service
	Reports  *reports.Engine
	Importer *importer.Importer // imports grade and run rules through the rule engine's hook
	Jobs     *jobs.Queue        // every background effect; Jobs.Run works it (the server), Jobs.Drain once (the CLI)
	// Workbench is each person's home page: the template's 待办任务 and 客户等级, the inbox,
	// the recently opened records.
	Workbench *workbench.Engine
	Audit     *audit.Log // the operation log (操作日志): record changes and events
	// Channels are the group robots (企业微信, 钉钉, 飞书) rules post to.
	Channels *channels.Service
	// Tokens are the API tokens other systems call with.
	Tokens *tokens.Service
	// Webhooks send the tables' record events, signed, to the systems that asked for them.
	Webhooks *webhooks.Service
	// Forms are the public forms that add records without signing in (线索收集表单).
	Forms *forms.Service
	// Views are the tables' saved views.
	Views *views.Service
	// Events are what customers do elsewhere (浏览…), sent by other systems, counted by rules.
	Events *events.Service
	// Flows are the approval flows (流程引擎): definitions, instances, the to-do boxes.
	Flows *flows.Engine
	// Comments are the comments on records, with @mentions.
	Comments *comments.Service
	// Keys seal the 敏感 fields' values (platform/secret); held shared until Close.
	Keys *secret.Ring
}

// Open opens (creating if needed) the data directory dir, on the database store.Open
// chooses: the one TIERBASE_DB names, else the SQLite file in dir.
func Open(dir string) (*App, error) {
	db, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	return open(dir, db)
}

// OpenURL opens the data directory dir on the database url names (the --db of the
// commands): a postgres:// address, or "" for the SQLite file in dir. The directory keeps
// what is not rows either way: keys, uploads, backups.
func OpenURL(dir, url string) (*App, error) {
	db, err := store.OpenURL(dir, url)
	if err != nil {
		return nil, err
	}
	return open(dir, db)
}

func open(dir string, db *store.DB) (*App, error) {
	var err error
	a := &App{DB: db, Dir: dir}
	if a.Keys, err = secret.Open(dir); err != nil {
		db.Close()
		return nil, err
	}
	if a.Catalog, err = schema.Open(db); err == nil {
		err = a.Catalog.UseKeys(context.Background(), a.Keys)
	}
	if err == nil {
		if a.Users, err = users.Open(db); err == nil {
			if a.Grading, err = grading.Open(db, a.Catalog); err == nil {
				a.Rules, err = rules.Open(db, a.Catalog, a.Users, a.Grading)
			}
		}
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.Org, err = org.Open(db, a.Catalog, a.Users); err != nil {
		db.Close()
		return nil, err
	}
	a.Users.Grants = a.Org.Grants
	a.Org.Enroll = a.Users.EnrollTx
	a.Users.RoleExists, a.Users.DepartmentExists = a.Org.RoleExists, a.Org.DepartmentExists
	a.Rules.RoleExists = a.Org.RoleExists
	a.Audit = &audit.Log{DB: db, Catalog: a.Catalog, Now: time.Now}
	a.Catalog.Dropping = func(ctx context.Context, tx *sql.Tx, by schema.Changer, t *schema.Table) error {
		who, _ := by.(access.Actor)
		return audit.Write(ctx, tx, a.Records.Now(), audit.Event{UserID: who.UserID, Action: audit.TableDeleted, TableID: t.ID, Detail: audit.TableNames(t)})
	}
	a.Records = records.New(db, a.Catalog, a.Users)
	a.Records.Departments = a.Org
	a.Records.Hooks = []records.Hook{a.Rules}
	a.Records.Files = &files.Store{Dir: filepath.Join(dir, files.DirName)}
	a.Inbox = inbox.New(db)
	a.Rules.Records, a.Rules.Inbox = a.Records, a.Inbox
	a.Grading.Records = a.Records
	a.Records.Recomputed = func(ctx context.Context, tx *sql.Tx, t *schema.Table, where string, args []any) error {
		if len(a.Grading.Graded(t)) == 0 {
			return nil
		}
		_, _, err := a.Grading.GradeTx(ctx, tx, t, where, args, false)
		return err
	}
	if a.Reports, err = reports.Open(db, a.Catalog, a.Users); err != nil {
		a.Close()
		return nil, err
	}
	a.Reports.Notifier = a.Inbox // dashboard alerts land in the inbox
	a.Reports.Departments = func() map[string]string {
		out := map[string]string{}
		for _, d := range a.Org.Departments() {
			out[strconv.FormatInt(d.ID, 10)] = d.Name
		}
		return out
	}
	a.Importer = &importer.Importer{DB: db, Catalog: a.Catalog, Users: a.Users, Departments: a.Org, Now: a.Records.Now, Hooks: []importer.Hook{computedImports{a.Records}, a.Rules}}
	a.Jobs = jobs.New(db)
	a.Channels = channels.New(db, a.Keys, a.Jobs)
	a.Rules.Channels = a.Channels
	guard, _ := outbound.NewGuard(nil) // nothing inside the server's networks until AllowOutbound
	a.Channels.Client, a.Channels.Dial = guard.Client(webhooks.Timeout), guard.DialContext
	a.Webhooks = webhooks.New(db, a.Catalog, a.Records, a.Users, a.Keys, a.Jobs, a.Inbox, guard)
	a.Records.Hooks = append(a.Records.Hooks, a.Webhooks)
	a.Importer.Hooks = append(a.Importer.Hooks, a.Webhooks)
	a.Tokens = tokens.New(db, a.Catalog)
	a.Forms = forms.New(db, a.Catalog, a.Records, a.Keys)
	a.Views = views.New(db)
	a.Events = events.New(db, a.Catalog)
	a.Events.Rules = a.Rules
	a.Comments = comments.New(db, a.Records, a.Users, a.Inbox)
	a.Workbench = workbench.New(db, a.Catalog, a.Records, a.Inbox)
	a.Flows = flows.New(db, a.Catalog, a.Users, a.Org, a.Records, a.Inbox)
	if err := a.Flows.Reload(context.Background()); err != nil {
		a.Close()
		return nil, err
	}
	a.Records.Hooks = append(a.Records.Hooks, a.Flows) // flows start from what the write left, rules' changes included
	a.Rules.Flows = a.Flows
	a.Rules.Webhooks = a.Webhooks
	a.Flows.Channels, a.Flows.Webhooks = a.Channels, a.Webhooks
	a.Workbench.Tasks = []workbench.TaskSource{crm.Todos(), a.Flows.Todos()}
	a.Workbench.Grades = crm.Grades()
	a.Grading.UseJobs(a.Jobs)
	a.Rules.UseJobs(a.Jobs)
	a.Flows.UseJobs(a.Jobs)
	a.followOtherNodes()
	return a, nil
}

// AllowOutbound lets webhooks, group robots and email channels call the given hosts, addresses and ranges
// inside the server's networks (serve --allow-outbound: an ERP on the intranet); every
// other loopback, private, link-local, CGNAT, unspecified or multicast address is refused.
func (a *App) AllowOutbound(allow []string) error {
	g, err := outbound.NewGuard(allow)
	if err != nil {
		return err
	}
	a.Webhooks.UseGuard(g)
	a.Channels.Client, a.Channels.Dial = g.Client(webhooks.Timeout), g.DialContext
	return nil
}

// CheckAlertsEvery makes the job queue check the dashboard alerts every interval (of the
// hour). Only the server calls it.
func (a *App) CheckAlertsEvery(interval time.Duration) {
	a.every("alerts", interval, func(ctx context.Context) error {
		a.Reports.CheckAlerts(ctx)
		return nil
	})
}

// PurgeTrashDaily makes the job queue empty the recycle bin of what was deleted more than
// records.TrashDays ago, then remove the uploaded files no record holds any more, once a day
// (at 00:00 UTC). Only the server calls it.
func (a *App) PurgeTrashDaily() {
	a.every("trash", 24*time.Hour, func(ctx context.Context) error {
		if _, err := a.Records.PurgeTrash(ctx); err != nil {
			return err
		}
		_, err := a.Records.PruneFiles(ctx)
		return err
	})
}

// Backups is the directory of the database's backups, <data>/backups. On PostgreSQL it
// makes none (its DB is empty): backups there are pg_dump's (docs/operations.md).
func (a *App) Backups() *backup.Dir {
	return &backup.Dir{Path: filepath.Join(a.Dir, "backups"), DB: a.DB.Path, Now: time.Now}
}

// BackupEvery makes the job queue back the database up every interval (counted from
// 00:00 UTC) and keep the newest keep backups. Only the server calls it.
func (a *App) BackupEvery(interval time.Duration, keep int) {
	a.every("backup", interval, func(ctx context.Context) error {
		dir := a.Backups()
		info, err := dir.Make(ctx)
		if err != nil {
			return err
		}
		gone, err := dir.Prune(keep)
		if err != nil {
			return err
		}
		return audit.Record(ctx, a.DB, audit.Event{Action: audit.Backup,
			Detail: map[string]any{"name": info.Name, "size": info.Size, "scheduled": true, "removed": gone}})
	})
}

// every runs work through the job queue at every interval (whole minutes, counted from
// 00:00 UTC): one job per slot (kind:<time>), so of several processes on the same database
// one does it.
func (a *App) every(kind string, interval time.Duration, work func(ctx context.Context) error) {
	a.Jobs.Handle(kind, jobs.Kind{MaxAttempts: 1, Run: func(ctx context.Context, j *jobs.Job) error { return work(ctx) }})
	a.Jobs.Every(func(ctx context.Context, tx *sql.Tx, minute time.Time) error {
		if minute.Sub(minute.Truncate(interval)) != 0 {
			return nil
		}
		_, err := a.Jobs.Enqueue(ctx, tx, kind, kind+":"+minute.UTC().Format("2006-01-02T15:04Z"), nil, minute)
		return err
	})
}

// SetClock makes the engines read "now" from now, and dates without a zone in loc.
func (a *App) SetClock(now func() time.Time, loc *time.Location) {
	a.Records.Now, a.Records.Loc = now, loc
	a.Grading.Now, a.Grading.Loc = now, loc
	a.Rules.Now, a.Rules.Loc = now, loc
	a.Inbox.Now = now
	a.Reports.Now, a.Reports.Loc = now, loc
	a.Importer.Now, a.Importer.Loc = now, loc
	a.Jobs.Now = now
	a.Channels.Now = now
	a.Webhooks.Now, a.Webhooks.Loc = now, loc
	a.Tokens.Now = now
	a.Forms.Now, a.Forms.Loc = now, loc
	a.Views.Now = now
	a.Events.Now, a.Events.Loc = now, loc
	a.Org.Now = now
	a.Workbench.Now = now
	a.Audit.Now = now
	a.Flows.Now = now
	a.Comments.Now = now
	a.Users.Now = now
}

// Close closes the database and lets go of the keys.
func (a *App) Close() error {
	a.Keys.Close()
	return a.DB.Close()
}

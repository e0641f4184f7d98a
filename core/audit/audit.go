// Package audit is the operation log's (操作日志) second half: the events that are not record
// changes — sign-ins, failed sign-ins, changes to people, departments and roles, exports,
// imports, backups. Record changes are in _oplog (package records); the log page reads both.
// Both tables are append-only: triggers refuse every UPDATE and DELETE, for admins too.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"tierbase/platform/store"
)

// Event is one entry of the operation log beyond record changes.
type Event struct {
	UserID   int64          // who (0: the system or an unknown person, as a failed sign-in)
	Action   string         // one of the actions below
	TableID  string         // the table it concerns, if any
	RecordID int64          // the record it concerns, if any
	Detail   map[string]any // what changed or what was asked, shown on the log page; never a secret
	Client   string         // the client's address, for sign-ins
}

// Actions of the log beyond record changes (created, updated, deleted are _oplog's).
const (
	SignIn       = "sign_in"
	SignInFailed = "sign_in_failed"
	UserChange   = "user_change"       // a person added, edited, disabled, invited, their password reset
	DeptChange   = "department_change" // the department tree or its 主管
	RoleChange   = "role_change"       // a role's permissions, or who has it
	Export       = "export"
	Import       = "import"
	Backup       = "backup"
	Restore      = "restore" // a record restored from the recycle bin
)

// Write appends e inside tx, so the event and what it records commit together.
func Write(ctx context.Context, tx *sql.Tx, at time.Time, e Event) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO _audit(at, user_id, action, table_id, record_id, detail, client)
		VALUES(?, ?, ?, ?, ?, ?, ?)`, at.UTC().Format(time.RFC3339), e.UserID, e.Action, e.TableID, e.RecordID, string(detail), e.Client)
	return err
}

// Record appends e in a transaction of its own.
func Record(ctx context.Context, db *store.DB, e Event) error {
	return RecordAt(ctx, db, time.Now(), e)
}

// RecordAt appends e, which happened at at, in a transaction of its own.
func RecordAt(ctx context.Context, db *store.DB, at time.Time, e Event) error {
	return db.Tx(ctx, func(tx *sql.Tx) error { return Write(ctx, tx, at, e) })
}

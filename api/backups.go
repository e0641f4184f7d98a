package api

import (
	"errors"
	"mime"
	"net/http"
	"os"

	"tierbase/core/access"
	"tierbase/core/audit"
	"tierbase/platform/problem"
)

// listBackups answers the backups of the data directory, newest first (admins).
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) error {
	if err := access.Can(actor(r), access.Backup); err != nil {
		return err
	}
	list, err := s.Backups.List()
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"items": list})
}

// makeBackup backs the database up now and answers the new backup once it is complete.
func (s *Server) makeBackup(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := access.Can(a, access.Backup); err != nil {
		return err
	}
	info, err := s.Backups.Make(r.Context())
	if err != nil {
		return err
	}
	err = audit.Record(r.Context(), s.Records.DB, audit.Event{UserID: a.UserID, Action: audit.Backup,
		Detail: map[string]any{"name": info.Name, "size": info.Size}})
	if err != nil {
		return err
	}
	return writeJSON(w, 201, info)
}

// downloadBackup sends one backup file; only names of backups are accepted, never a path.
func (s *Server) downloadBackup(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := access.Can(a, access.Backup); err != nil {
		return err
	}
	name := r.PathValue("name")
	path, err := s.Backups.File(name)
	if errors.Is(err, os.ErrNotExist) {
		return problem.NotFound("backup_file", name)
	}
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	err = audit.Record(r.Context(), s.Records.DB, audit.Event{UserID: a.UserID, Action: audit.Backup, Client: s.clientAddr(r),
		Detail: map[string]any{"name": name, "download": true}})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.sqlite3")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	http.ServeContent(w, r, name, fi.ModTime(), f)
	return nil
}

package records

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/files"
	"tierbase/platform/problem"
	"tierbase/platform/store"
)

// kept checks a file value v of f (schema.FilesJSON) against the kept files: each must have
// been uploaded (400 file_unknown) and be of a type f accepts (415 file_type_refused, as at
// upload). It returns v with each file's size and type as kept, whatever the writer said.
func (s *Service) kept(f *schema.Field, v string) (any, *problem.Error) {
	refs, _ := schema.ParseFiles(v)
	lim := f.FileLimits()
	for i, r := range refs {
		if s.Files == nil {
			return nil, problem.Invalid("file_unknown", "value", r.Name).OnField(f.Name)
		}
		info, err := s.Files.Stat(r.Hash)
		if err != nil {
			return nil, problem.Invalid("file_unknown", "value", r.Name).OnField(f.Name)
		}
		if !lim.Allows(info.Type) {
			return nil, problem.New(415, "file_type_refused", "type", info.Type, "allowed", lim.String()).OnField(f.Name)
		}
		refs[i].Size, refs[i].Type = info.Size, info.Type
	}
	return schema.FilesJSON(refs), nil
}

// Upload keeps a file for field f of t, under f's limits (files.Store.Put: 413 over the size,
// 415 of a refused type, nothing kept either way). The actor must be one who may add or
// edit t's records and change f; the file is theirs to put in a record's value then.
func (s *Service) Upload(a access.Actor, t *schema.Table, f *schema.Field, r io.Reader) (files.Info, error) {
	if !f.Type.IsFile() {
		return files.Info{}, problem.Invalid("bad_param", "param", "field", "reason", "param_not_file")
	}
	if access.CanOn(a, t, access.Add) != nil {
		if err := access.CanOn(a, t, access.Edit); err != nil {
			return files.Info{}, err
		}
	}
	if !access.FieldsOf(a, t).Writable(f.ID) {
		return files.Info{}, problem.New(403, "field_readonly").OnField(f.Name)
	}
	if s.Files == nil {
		return files.Info{}, problem.New(409, "files_off")
	}
	return s.Files.Put(r, f.FileLimits())
}

// File opens a file of record id's field f (its thumbnail if thumb) for the actor: only if
// they may read the record and see the field (as Get), and the field's value holds the file.
// Anything else is not found, so nobody learns what a record they cannot read holds.
func (s *Service) File(ctx context.Context, a access.Actor, t *schema.Table, id int64, f *schema.Field, hash string, thumb bool) (*os.File, schema.FileRef, error) {
	notFound := problem.NotFound("file", hash)
	if !f.Type.IsFile() || s.Files == nil {
		return nil, schema.FileRef{}, notFound
	}
	rec, err := s.Get(ctx, a, t, id)
	if err != nil {
		return nil, schema.FileRef{}, err
	}
	v, _ := rec[f.ID].(string)
	refs, _ := schema.ParseFiles(v)
	i := slices.IndexFunc(refs, func(r schema.FileRef) bool { return r.Hash == hash })
	if i < 0 {
		return nil, schema.FileRef{}, notFound
	}
	file, err := s.Files.Open(hash, thumb)
	if thumb && errors.Is(err, os.ErrNotExist) { // an image too large for one, or not an image
		file, err = s.Files.Open(hash, false)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, schema.FileRef{}, notFound
	}
	return file, refs[i], err
}

// fileGrace is how long an uploaded file no record holds is kept: the time between an upload
// and the save of the record that takes it.
const fileGrace = 24 * time.Hour

// hashes finds the content hashes written in a text (a record of the recycle bin).
var hashes = regexp.MustCompile(`[0-9a-f]{64}`)

// PruneFiles removes the uploaded files that no record holds — in any table's file fields
// (sub-tables' included) or in the recycle bin — uploaded more than fileGrace ago: files
// replaced or taken out of their records, records purged from the bin, uploads never saved.
// It returns how many it removed.
func (s *Service) PruneFiles(ctx context.Context) (int, error) {
	if s.Files == nil {
		return 0, nil
	}
	cutoff := s.Now().Add(-fileGrace) // before reading the records: a file saved since is newer
	held := map[string]bool{}
	scan := func(q string, add func(v string)) error {
		rows, err := s.DB.R.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return err
			}
			add(v)
		}
		return rows.Err()
	}
	for _, t := range s.Catalog.Tables() {
		for _, f := range t.Fields {
			if !f.Type.IsFile() {
				continue
			}
			q := fmt.Sprintf("SELECT %s FROM %s WHERE %[1]s IS NOT NULL", store.Quote(f.Column()), store.Quote(t.SQLName()))
			err := scan(q, func(v string) {
				refs, _ := schema.ParseFiles(v)
				for _, r := range refs {
					held[r.Hash] = true
				}
			})
			if err != nil {
				return 0, err
			}
		}
	}
	err := scan("SELECT data FROM _trash", func(v string) {
		for _, h := range hashes.FindAllString(v, -1) {
			held[h] = true
		}
	})
	if err != nil {
		return 0, err
	}
	return s.Files.Prune(func(h string) bool { return held[h] }, cutoff)
}

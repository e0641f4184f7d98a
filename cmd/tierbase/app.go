package main

import (
	"tierbase/records"
	"tierbase/rules"
	"tierbase/schema"
	"tierbase/store"
	"tierbase/users"
)

// app is an opened data directory with its engines.
type app struct {
	db      *store.DB
	catalog *schema.Catalog
	users   *users.Service
	records *records.Service
	rules   *rules.Engine
}

func open(dir string) (*app, error) {
	db, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	cat, err := schema.Open(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	us, err := users.Open(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	eng, err := rules.Open(db, cat)
	if err != nil {
		db.Close()
		return nil, err
	}
	recs := records.New(db, cat, us)
	recs.Hooks = []records.Hook{eng}
	return &app{db: db, catalog: cat, users: us, records: recs, rules: eng}, nil
}

func (a *app) Close() error { return a.db.Close() }

package access

import (
	"slices"
	"sync"

	"tierbase/core/cond"
	"tierbase/core/schema"
)

// Shared sets g to keep, for the requests it serves, what is worked out from it on each
// table: the field permissions (FieldsOf) and the SQL of the data scopes (ScopeSQL), a few
// microseconds each per request for a scope of a hundred people. Grants must not change once
// shared; package org shares a person's grants until their roles, departments or any role or
// department change. An entry made on a table is used for that table as it is: a schema change
// replaces the catalog's tables, and so their entries.
func (g *Grants) Shared() *Grants {
	g.memo = &memo{fields: map[string]memoFields{}, scopes: map[scopeKey]memoScope{}}
	return g
}

// memo is what shared grants keep, by table id.
type memo struct {
	mu     sync.Mutex
	fields map[string]memoFields
	scopes map[scopeKey]memoScope
}

type memoFields struct {
	t  *schema.Table
	fs Fields
}

type scopeKey struct {
	table string
	op    Op
	user  int64
}

type memoScope struct {
	t     *schema.Table
	where string
	args  []any
}

// fieldsOf returns FieldsOf(a, t) through the actor's memo, if their grants are shared.
func fieldsOf(a Actor, t *schema.Table) Fields {
	m := a.Grants.memoOf()
	if m == nil {
		return fieldsOfRoles(a, t)
	}
	m.mu.Lock()
	e, ok := m.fields[t.ID]
	m.mu.Unlock()
	if ok && e.t == t {
		return e.fs
	}
	fs := fieldsOfRoles(a, t)
	m.mu.Lock()
	m.fields[t.ID] = memoFields{t, fs}
	m.mu.Unlock()
	return fs
}

// scopeSQL returns ScopeSQL(a, t, op, env) through the actor's memo, if their grants are
// shared and none of their roles has a custom scope on t (whose SQL may depend on the clock).
func scopeSQL(a Actor, t *schema.Table, op Op, env cond.Env) (string, []any, error) {
	m := a.Grants.memoOf()
	if m == nil || slices.ContainsFunc(roles(a), func(r *Role) bool {
		p := perm(r, t)
		return p != nil && (p.Read.Kind == ScopeCustom || p.Change.Kind == ScopeCustom)
	}) {
		return cond.Compile(Scope(a, t, op), t, Env(a, env))
	}
	k := scopeKey{t.ID, op, a.UserID}
	m.mu.Lock()
	e, ok := m.scopes[k]
	m.mu.Unlock()
	if !ok || e.t != t {
		w, args, err := cond.Compile(Scope(a, t, op), t, Env(a, env))
		if err != nil {
			return "", nil, err
		}
		e = memoScope{t, w, args}
		m.mu.Lock()
		m.scopes[k] = e
		m.mu.Unlock()
	}
	return e.where, slices.Clone(e.args), nil
}

func (g *Grants) memoOf() *memo {
	if g == nil {
		return nil
	}
	return g.memo
}

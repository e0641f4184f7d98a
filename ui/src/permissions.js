// What the signed-in person may do, from the permissions /api/auth/me answers: the UI shows
// only that (the server decides and refuses the rest anyway).

import { store } from './store'

function perms() {
  return (store.user && store.user.permissions) || { global: [], tables: {} }
}

// can reports whether the person may take a global action: manage_schema (new apps, tables,
// dashboards), manage_users, see_deleted.
export const can = (action) => perms().global.includes(action)

// canOn reports whether the person may take a table action (view, add, edit, delete, import,
// export, bulk_edit, manage_fields, manage_rules) on the table with that id.
export const canOn = (tableId, action) => !!(perms().tables[tableId] && perms().tables[tableId].actions.includes(action))

// canAnywhere reports whether the person may take a table action on some table.
export const canAnywhere = (action) => Object.values(perms().tables).some((tp) => tp.actions.includes(action))

// fieldAccess is the person's best permission on a field: hidden, masked, read or edit.
export function fieldAccess(tableId, fieldId) {
  const tp = perms().tables[tableId]
  return (tp && tp.fields[fieldId]) || 'edit'
}

// assignees are the ids of the people the person may make 负责人 of the table's records, or
// null for anyone.
export function assignees(tableId) {
  const tp = perms().tables[tableId]
  return tp ? tp.assignees : []
}

// withAccess returns the table's fields as the person may use them: hidden ones left out,
// the others marked readonly unless they may take the action (edit, or add for a new record)
// and edit the field; the 负责人 carries the people they may assign (assignees).
export function withAccess(table, action = 'edit') {
  const may = canOn(table.id, action)
  return table.fields
    .filter((f) => fieldAccess(table.id, f.id) !== 'hidden')
    .map((f) => ({
      ...f,
      readonly: !may || fieldAccess(table.id, f.id) !== 'edit',
      ...(f.id === 'owner' ? { assignees: assignees(table.id) } : {}),
    }))
}

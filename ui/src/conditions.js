// The condition JSON of docs/api.md and the editable state of FilterBuilder.vue
// ({ conj, rows: [{ key, field, op, value }] }, one and/or group of leaves), both ways.

import { toApiValue, toEditValue, DAYS_OPS, LIST_OPS, NO_VALUE_OPS } from './fields'

let nextKey = 1_000_000

export const newRowKey = () => nextKey++

export const fieldById = (fields, id) => fields.find((f) => f.id === id) || {}

// The field whose input is shown for a condition value: conditions on dates compare whole days,
// ratings and ids compare numbers, and a multi-value field is matched one option at a time.
export function valueField(field) {
  const f = field || {}
  if (f.type === 'datetime') return { ...f, type: 'date' }
  if (f.type === 'rating' || f.id === 'id') return { ...f, type: 'number' }
  if (f.type === 'multiselect') return { ...f, type: 'select' }
  return f
}

const missing = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)

// The condition of one row, or undefined if the row is not filled in.
export function rowCondition(row, fields) {
  if (!row.field || !row.op) return undefined
  const f = valueField(fieldById(fields, row.field))
  const cond = { field: row.field, op: row.op }
  if (NO_VALUE_OPS.includes(row.op)) return cond
  let value
  if (row.op === 'between') {
    value = (row.value || []).map((v) => toApiValue(f, v))
    if (value.length !== 2 || value.some(missing)) return undefined
  } else if (DAYS_OPS.includes(row.op) || f.type === 'checkbox' || LIST_OPS.includes(row.op)) {
    value = row.value
  } else {
    value = toApiValue(f, row.value)
  }
  if (missing(value)) return undefined
  cond.value = value
  return cond
}

// The condition of a whole state: { and|or: [leaf…] }, or undefined if a row is not filled in.
// With no rows it is an empty group, which every record satisfies.
export function stateCondition(state, fields) {
  const conds = state.rows.map((r) => rowCondition(r, fields))
  if (conds.some((c) => c === undefined)) return undefined
  return { [state.conj]: conds }
}

// The editable value of a leaf's value (numbers are edited as text, as in forms).
function editValue(field, op, value) {
  const f = valueField(field)
  if (NO_VALUE_OPS.includes(op)) return null
  if (op === 'between') return (Array.isArray(value) ? value : [null, null]).map((v) => toEditValue(f, v))
  if (DAYS_OPS.includes(op) || LIST_OPS.includes(op) || f.type === 'checkbox') return value
  if (f.type === 'tags') return value ?? null
  return toEditValue(f, value)
}

// The FilterBuilder state of a condition, or null when the builder cannot show it (nested
// groups, unknown fields). Leaves may name their field by id or by name.
export function conditionState(cond, fields) {
  if (!cond || typeof cond !== 'object' || Array.isArray(cond)) return null
  // An empty group comes back from the server as {} (every record meets it).
  if (!Object.keys(cond).length) return { conj: 'and', rows: [] }
  let conj = 'and'
  let leaves = [cond]
  if (Array.isArray(cond.and) || Array.isArray(cond.or)) {
    conj = Array.isArray(cond.and) ? 'and' : 'or'
    leaves = cond[conj]
  }
  const rows = []
  for (const leaf of leaves) {
    if (!leaf || typeof leaf !== 'object' || leaf.and || leaf.or || !leaf.field || !leaf.op) return null
    const f = fields.find((x) => x.id === leaf.field) || fields.find((x) => x.name === leaf.field)
    if (!f) return null
    rows.push({ key: newRowKey(), field: f.id, op: leaf.op, value: editValue(f, leaf.op, leaf.value) })
  }
  return { conj, rows }
}

// Knowledge about field types on the client: how values look, how edited values are sent,
// and which condition operators apply (see schema/types.go and docs/api.md).

import { userName, departmentName } from './store'
import { addressText } from './divisions'

export const NUMERIC = ['number', 'money', 'percent', 'rating']
export const MULTI = ['multiselect', 'tags']
export const FILES = ['file', 'image', 'signature']
// The files of a 附件, 图片 or 签名 value: a list as records give it, or its stored JSON text
// (as the history gives it).
export function fileList(value) {
  if (Array.isArray(value)) return value
  try {
    const list = JSON.parse(value)
    return Array.isArray(list) ? list : []
  } catch {
    return []
  }
}

export const TEXTUAL = ['text', 'textarea', 'phone', 'landline', 'email', 'url', 'autonumber']

// Fields a person can type into: the table's own fields except auto numbers and computed
// fields (公式, 他表字段, 汇总), and the owner
// (负责人), the one system field that can be assigned; the others are set by the server. A
// field marked readonly (see permissions.withAccess) the person may not change.
// A 子表单 is edited in the record form only (RecordForm, SubformInput), not in a cell or in bulk.
export const isEditable = (f) => !f.readonly && !f.computed && f.type !== 'subform' && (f.id === 'owner' || (!f.system && f.type !== 'autonumber'))

// Fields shown as inputs in the record form (auto numbers appear, disabled; computed fields
// are shown as values).
export const isFormField = (f) => (!f.system || f.id === 'owner') && !f.computed

// Colour cycle for options without a colour of their own, and for new options.
export const PALETTE = ['#409eff', '#67c23a', '#e6a23c', '#f56c6c', '#909399', '#9b59b6', '#1abc9c', '#e67e22']

export function optionColor(field, value) {
  const opt = (field.options || []).find((o) => o.value === value)
  if (opt && opt.color) return opt.color
  let h = 0
  for (const ch of String(value)) h = (h * 31 + ch.codePointAt(0)) >>> 0
  return PALETTE[h % PALETTE.length]
}

// Inline style of a coloured tag: text and border in the colour, a faint fill behind.
export function tagStyle(color) {
  if (!/^#[0-9a-f]{6}$/i.test(color)) return { color, borderColor: color }
  return { color, borderColor: color + '66', backgroundColor: color + '14' }
}

const pad = (n) => String(n).padStart(2, '0')

// "YYYY-MM-DD HH:mm" in the browser's time zone.
export function formatDateTime(iso) {
  const d = new Date(iso)
  if (isNaN(d)) return String(iso)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

// RFC 3339 in UTC without fractional seconds, as the API stores date-times.
export function toRFC3339(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

const numberFmt = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 10 })
const moneyFmt = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

const formatMoney = (n) => (n < 0 ? '-¥' : '¥') + moneyFmt.format(Math.abs(n))

// Display name of a user, department or linked record id, from a response's _titles map for
// the field. A linked record the person may not read has no title: it shows as its number.
export function refTitle(field, id, titles) {
  const t = titles && titles[field.name] && titles[field.name][String(id)]
  if (t) return t
  if (field.type === 'user') return userName(id) || `#${id}`
  if (field.type === 'department') return departmentName(id) || `#${id}`
  return `#${id}`
}

// The value as plain text (used by history, tooltips and anywhere no rich rendering is needed).
export function formatValue(field, value, titles) {
  if (value === null || value === undefined || value === '') return ''
  if (FILES.includes(field.type)) return fileList(value).map((f) => f.name).join(', ')
  if (field.type === 'links' && Array.isArray(value)) return value.map((id) => refTitle(field, id, titles)).join('、')
  // 数字列表: a lookup's numbers through a 多条关联
  if (field.type === 'numbers' && Array.isArray(value)) return value.map((n) => numberFmt.format(n)).join(', ')
  if (Array.isArray(value)) return value.join(', ')
  switch (field.type) {
    case 'money':
      return typeof value === 'number' ? formatMoney(value) : String(value)
    case 'percent':
      return typeof value === 'number' ? numberFmt.format(value) + '%' : String(value)
    case 'number':
      return typeof value === 'number' ? numberFmt.format(value) : String(value)
    case 'rating': {
      const max = field.max || 5
      const n = Math.max(0, Math.min(max, Math.round(Number(value) || 0)))
      return '★'.repeat(n) + '☆'.repeat(max - n)
    }
    case 'checkbox':
      return value ? '✓' : ''
    case 'date':
      return String(value).slice(0, 10)
    case 'datetime':
      return formatDateTime(value)
    case 'user':
    case 'link':
    case 'department':
      return refTitle(field, value, titles)
    case 'address':
      return addressText(value)
    case 'richtext':
      return new DOMParser().parseFromString(String(value), 'text/html').body.textContent.replace(/\s+/g, ' ').trim()
  }
  return String(value)
}

// The value an editor starts from: numbers are edited as text so any input can be typed.
export function toEditValue(field, value) {
  if (field.type === 'subform') return Array.isArray(value) ? value.map((r) => editRow(field, r)) : []
  if (NUMERIC.includes(field.type) && field.type !== 'rating') {
    return value === null || value === undefined ? '' : String(value)
  }
  if (MULTI.includes(field.type) || field.type === 'links') return Array.isArray(value) ? [...value] : []
  if (field.type === 'checkbox') return !!value
  return value ?? null
}

// The value sent to the API for an edited value. Numbers may be typed as "¥1,234.50" or "12%";
// other text that is not a number is sent as typed, for the server to explain what is wrong.
export function toApiValue(field, value) {
  if (field.type === 'subform') return (value || []).map((r) => apiRow(field, r))
  if (value === undefined || value === '') return null
  if (NUMERIC.includes(field.type) && typeof value === 'string') {
    const s = value.trim()
    if (s === '') return null
    const n = Number(s.replace(/^[¥￥]/, '').replace(/%$/, '').replace(/[,，\s]/g, ''))
    return Number.isFinite(n) ? n : s
  }
  if (MULTI.includes(field.type)) return Array.isArray(value) ? value : []
  if (field.type === 'links') return Array.isArray(value) && value.length ? value : null
  if (typeof value === 'string' && value.trim() === '') return null
  return value
}

// The rows of a 子表单 (field.fields are its fields) as the record form edits them: each with a
// key for Vue, its id once saved, computed values (小计) as the server gave them.
let rowKey = 1
function editRow(field, r) {
  const row = { _key: rowKey++ }
  if (r.id) row.id = r.id
  for (const g of field.fields || []) row[g.name] = g.computed ? r[g.name] ?? null : toEditValue(g, r[g.name])
  return row
}
export const newRow = (field) => editRow(field, Object.fromEntries((field.fields || []).map((g) => [g.name, g.default ?? null])))
function apiRow(field, r) {
  const out = r.id ? { id: r.id } : {}
  for (const g of field.fields || []) if (isEditable(g)) out[g.name] = toApiValue(g, r[g.name])
  return out
}

export const sameValue = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

// Condition operators offered for a field type, in menu order. A sensitive (敏感) field is
// stored encrypted and found by its whole value only (core/cond sensitiveOps; "is one of" too,
// which the builder has no list input for on text).
export function operatorsFor(field) {
  const t = field.type
  const empty = ['empty', 'notEmpty']
  if (field.sensitive) return ['eq', 'ne', ...empty]
  if (field.name === 'id' || field.id === 'id') return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between']
  if (NUMERIC.includes(t) || t === 'subform') return ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', ...empty]
  if (t === 'date' || t === 'datetime') {
    return ['eq', 'before', 'after', 'between', 'withinLastDays', 'withinNextDays', 'olderThanDays', ...empty]
  }
  if (t === 'select') return ['eq', 'ne', 'in', 'nin', 'under', ...empty]
  if (MULTI.includes(t)) return ['contains', 'notContains', ...empty]
  if (t === 'checkbox') return ['eq']
  if (t === 'user' || t === 'department') return ['eq', 'ne', 'in', 'nin', ...empty]
  if (t === 'link') return ['eq', 'ne', ...empty]
  // 多条关联: links to all of the records picked, or to none of them
  if (t === 'links') return ['contains', 'notContains', ...empty]
  // 数字列表 (a lookup through a 多条关联): has the number, or not
  if (t === 'numbers') return ['contains', 'notContains', ...empty]
  // 座机: any spelling of a number, or some of its digits (core/cond landlineValue)
  if (t === 'landline') return ['eq', 'ne', 'contains', 'notContains', ...empty]
  // 地址: in a province or city (or district), or words of the street address
  if (t === 'address') return ['under', 'contains', 'notContains', ...empty]
  if (t === 'richtext') return ['contains', 'notContains', ...empty]
  if (FILES.includes(t)) return empty
  return ['eq', 'ne', 'contains', 'notContains', 'under', ...empty]
}

export const NO_VALUE_OPS = ['empty', 'notEmpty']
export const DAYS_OPS = ['withinLastDays', 'withinNextDays', 'olderThanDays']
export const LIST_OPS = ['in', 'nin']

// A size in bytes as people read it: 20 MB, 512 KB, 100 B.
export function sizeText(n) {
  if (!n) return ''
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MB`
  if (n >= 1024) return `${Math.round(n / 1024)} KB`
  return `${n} B`
}

// Column width in pixels for a field in the grid.
export function columnWidth(field) {
  switch (field.type) {
    case 'checkbox':
      return 100
    case 'rating':
      return 120
    case 'number':
    case 'percent':
      return 110
    case 'money':
    case 'date':
      return 130
    case 'datetime':
      return 150
    case 'textarea':
    case 'richtext':
    case 'address':
    case 'multiselect':
    case 'tags':
    case 'links':
    case 'numbers':
      return 220
  }
  return 160
}

// titleFieldName is the field that names a record, as the server's Table.Title picks it: the
// table's title field, else its first text or auto-number field, else id.
export function titleFieldName(table) {
  const fields = table.fields || []
  const byId = fields.find((f) => f.id === table.titleField)
  if (byId) return byId.name
  const first = fields.find((f) => !f.system && (f.type === 'text' || f.type === 'autonumber'))
  return first ? first.name : 'id'
}

// changeName is the label of a history or log change: the field's name, or for a row of a
// 子表单 the sub-table's name, the row (added or deleted) and the sub-field's name.
export function changeName(t, ch) {
  if (!ch.row) return ch.name
  const key = { added: 'history.rowAdded', deleted: 'history.rowDeleted' }[ch.rowOp] || 'history.row'
  return t(key, { field: ch.name, row: ch.row, sub: ch.subName })
}

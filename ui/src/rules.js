// Knowledge about rules (规则) on the client: triggers, cron presets, action types, how the
// editor's state becomes the rule JSON of the API and back, and where an error path points.

import { toApiValue, toEditValue, MULTI } from './fields'
import { conditionState, newRowKey, stateCondition } from './conditions'
import { withoutLeadingPath } from './api'

export const TRIGGERS = ['created', 'updated', 'changed', 'deleted', 'schedule', 'always']
export const ACTIONS = ['set', 'add_tag', 'remove_tag', 'assign', 'create', 'notify', 'robot', 'webhook']
export const ASSIGN_MODES = ['round_robin', 'least_busy', 'map']
export const COUNT_OPS = ['gte', 'gt', 'eq', 'lte', 'lt']
export const ROLES = ['admin', 'member']

// How a schedule is picked: 每天/每周/每月 at a time, or a cron expression (advanced). It is
// stored as cron either way; a cron the pickers can say opens in their mode.
export const SCHEDULE_MODES = ['daily', 'weekly', 'monthly', 'cron']
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 0] // cron's numbers, Monday first

// The picker state of a cron expression: { mode, time: 'HH:mm', weekdays: [0–6], monthDay }.
// mode is 'cron' when the expression is not one the pickers make.
export function parseSchedule(cron) {
  const out = { mode: 'cron', time: '09:00', weekdays: [1], monthDay: 1 }
  const f = String(cron || '').trim().split(/\s+/)
  const int = (s, lo, hi) => (/^\d+$/.test(s) && Number(s) >= lo && Number(s) <= hi ? Number(s) : null)
  if (f.length !== 5 || f[3] !== '*') return out
  const m = int(f[0], 0, 59)
  const h = int(f[1], 0, 23)
  if (m === null || h === null) return out
  const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`
  if (f[2] === '*' && f[4] === '*') return { ...out, mode: 'daily', time }
  if (f[2] === '*') {
    const days = new Set()
    for (const part of f[4].split(',')) {
      const r = /^(\d)(?:-(\d))?$/.exec(part)
      if (!r) return out
      const [a, b] = [Number(r[1]), Number(r[2] ?? r[1])]
      if (a > 7 || b > 7 || a > b) return out
      for (let d = a; d <= b; d++) days.add(d % 7)
    }
    return { ...out, mode: 'weekly', time, weekdays: WEEKDAYS.filter((d) => days.has(d)) }
  }
  const day = int(f[2], 1, 31)
  if (f[4] === '*' && day !== null) return { ...out, mode: 'monthly', time, monthDay: day }
  return out
}

// The cron expression of a picked schedule (tr.cron itself in the advanced mode). Weekdays in
// a row become a range: 1-5.
export function scheduleCron(tr) {
  if (tr.mode === 'cron' || !tr.mode) return String(tr.cron || '').trim()
  const [h, m] = String(tr.time || '09:00').split(':').map(Number)
  const at = `${m || 0} ${h || 0}`
  if (tr.mode === 'daily') return `${at} * * *`
  if (tr.mode === 'monthly') return `${at} ${tr.monthDay || 1} * *`
  const days = [...new Set(tr.weekdays || [])].sort((a, b) => a - b)
  if (!days.length) return ''
  const parts = []
  for (let i = 0; i < days.length; ) {
    let j = i
    while (j + 1 < days.length && days[j + 1] === days[j] + 1) j++
    parts.push(j - i >= 2 ? `${days[i]}-${days[j]}` : days.slice(i, j + 1).join(','))
    i = j + 1
  }
  return `${at} * * ${parts.join(',')}`
}

// A schedule in words in the UI language: 每天 09:00, 每周一、三 09:00, 每月 1 日 09:00, or the
// cron expression. t is vue-i18n's t.
export function scheduleText(cron, t) {
  const s = parseSchedule(cron)
  if (s.mode === 'daily') return t('rules.schedule.dailyAt', { time: s.time })
  if (s.mode === 'monthly') return t('rules.schedule.monthlyAt', { day: s.monthDay, time: s.time })
  if (s.mode === 'weekly') {
    const days = s.weekdays.map((d) => t('rules.schedule.days.' + d)).join(t('rules.schedule.daySep'))
    return t('rules.schedule.weeklyAt', { days, time: s.time })
  }
  return t('rules.schedule.cronAt', { cron })
}

// Fields an action can write: the table's own fields (not auto numbers) and 负责人.
export const writable = (f) => f.id === 'owner' || (!f.system && f.type !== 'autonumber')
export const isTagField = (f) => !f.system && MULTI.includes(f.type)
export const isUserField = (f) => f.type === 'user' && (f.id === 'owner' || !f.system)

export const emptyCondition = () => ({ state: { conj: 'and', rows: [] }, raw: null })

// The editable form of a condition: FilterBuilder state, or raw JSON when the builder cannot
// show it (nested groups).
export function toCondition(cond, fields) {
  if (cond === null || cond === undefined) return emptyCondition()
  const state = conditionState(cond, fields)
  if (state) return { state, raw: null }
  return { state: { conj: 'and', rows: [] }, raw: JSON.stringify(cond, null, 2) }
}

// The condition JSON of an edited condition: null when it has no rows (every record), undefined
// while it is incomplete or its JSON is broken.
export function fromCondition(c, fields) {
  if (c.raw !== null) {
    try {
      const v = JSON.parse(c.raw)
      return v && typeof v === 'object' ? v : v === null ? null : undefined
    } catch {
      return undefined
    }
  }
  if (!c.state.rows.length) return null
  return stateCondition(c.state, fields)
}

export function newTrigger(on = 'created') {
  return { key: newRowKey(), on, fields: [], cron: '0 9 * * *', ...parseSchedule('0 9 * * *') }
}

export function toTrigger(tr) {
  const cron = tr.cron || ''
  return { key: newRowKey(), on: tr.on || 'created', fields: [...(tr.fields || [])], cron, ...parseSchedule(cron || '0 9 * * *') }
}

export function fromTrigger(tr) {
  if (tr.on === 'changed') return { on: 'changed', fields: tr.fields }
  if (tr.on === 'schedule') return { on: 'schedule', cron: scheduleCron(tr) }
  return { on: tr.on }
}

// Switches a schedule trigger to another mode: the advanced mode starts from the cron the
// pickers made; a picker mode keeps the time.
export function setScheduleMode(tr, mode) {
  if (mode === 'cron') tr.cron = scheduleCron(tr)
  tr.mode = mode
}

// A row of a create action's values. trigger: the value is the record that triggered the rule
// (for a link field to the rule's table; stored as the formula =ID).
export function newValueRow() {
  return { key: newRowKey(), field: '', useFormula: false, value: null, formula: '', trigger: false }
}

export const TRIGGER_RECORD = '=ID'

// Whether a field of a create's target can link to the record that triggered the rule.
export const linksBack = (f, ruleTable) => !!f && f.type === 'link' && !!ruleTable && f.linkTable === ruleTable

export function newAction(type = 'set') {
  return {
    key: newRowKey(),
    type,
    field: type === 'assign' ? 'owner' : '',
    useFormula: false,
    value: null,
    formula: '',
    tag: '',
    mode: 'round_robin',
    users: [],
    by: '',
    map: [{ key: newRowKey(), value: '', user: null }],
    table: '',
    values: [newValueRow()],
    roles: [],
    owner: true,
    title: '',
    body: '',
    robot: '',
    markdown: false,
    at: [],
    webhook: '',
    payload: [newPayloadRow()],
  }
}

// One key → value row of a webhook action's body.
export const newPayloadRow = (name = '', value = '') => ({ key: newRowKey(), name, value })

const fieldOf = (fields, id) => fields.find((f) => f.id === id) || fields.find((f) => f.name === id) || null
const isFormula = (v) => typeof v === 'string' && v.startsWith('=')

// The editor state of an action of the API. tables: full tables, to read a create's target
// fields; ruleTable: the rule's table id.
export function toAction(a, fields, tables, ruleTable) {
  const out = newAction(a.type)
  switch (a.type) {
    case 'set': {
      const f = fieldOf(fields, a.field)
      out.field = f ? f.id : a.field || ''
      if (a.formula !== undefined && a.formula !== null) {
        out.useFormula = true
        out.formula = a.formula
      } else {
        out.value = f ? toEditValue(f, a.value) : a.value ?? null
      }
      break
    }
    case 'add_tag':
    case 'remove_tag': {
      const f = fieldOf(fields, a.field)
      out.field = f ? f.id : a.field || ''
      out.tag = a.tag || ''
      break
    }
    case 'assign': {
      const f = fieldOf(fields, a.field || 'owner')
      out.field = f ? f.id : a.field || 'owner'
      out.mode = a.mode || 'round_robin'
      out.users = [...(a.users || [])]
      const by = fieldOf(fields, a.by)
      out.by = by ? by.id : a.by || ''
      const entries = Object.entries(a.map || {})
      out.map = entries.length ? entries.map(([value, user]) => ({ key: newRowKey(), value, user })) : out.map
      break
    }
    case 'create': {
      const target = tables.find((x) => x.id === a.table || x.name === a.table)
      out.table = target ? target.id : a.table || ''
      const tfields = target ? target.fields : []
      const entries = Object.entries(a.values || {})
      if (entries.length) {
        out.values = entries.map(([id, v]) => {
          const f = fieldOf(tfields, id)
          const trigger = linksBack(f, ruleTable) && typeof v === 'string' && v.replace(/\s/g, '').toUpperCase() === TRIGGER_RECORD
          const formula = isFormula(v) && !trigger
          return {
            ...newValueRow(),
            field: f ? f.id : id,
            useFormula: formula,
            formula: formula ? v.slice(1) : '',
            value: formula || trigger ? null : f ? toEditValue(f, v) : v,
            trigger,
          }
        })
      }
      break
    }
    case 'notify':
      out.users = [...(a.users || [])]
      out.roles = [...(a.roles || [])]
      out.owner = !!a.owner
      out.title = a.title || ''
      out.body = a.body || ''
      break
    case 'robot':
      out.robot = a.robot || ''
      out.markdown = !!a.markdown
      out.at = [...(a.at || [])]
      out.title = a.title || ''
      out.body = a.body || ''
      break
    case 'webhook': {
      out.webhook = a.webhook || ''
      const entries = Object.entries(a.payload || {})
      if (entries.length) out.payload = entries.map(([name, v]) => newPayloadRow(name, typeof v === 'string' ? v : JSON.stringify(v)))
      break
    }
  }
  return out
}

const blank = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)

// The API JSON of an edited action, and what is missing in it (key → message key of rules.*).
export function fromAction(a, fields, tables) {
  const missing = {}
  let out
  switch (a.type) {
    case 'set': {
      if (!a.field) missing.field = 'fieldRequired'
      out = { type: 'set', field: a.field }
      if (a.useFormula) {
        if (!a.formula.trim()) missing.formula = 'formulaRequired'
        out.formula = a.formula.trim()
      } else {
        const f = fieldOf(fields, a.field)
        out.value = f ? toApiValue(f, a.value) : a.value ?? null
        if (out.value === undefined) out.value = null
      }
      break
    }
    case 'add_tag':
    case 'remove_tag':
      if (!a.field) missing.field = 'fieldRequired'
      if (!String(a.tag || '').trim()) missing.tag = 'tagRequired'
      out = { type: a.type, field: a.field, tag: String(a.tag || '').trim() }
      break
    case 'assign':
      if (!a.field) missing.field = 'fieldRequired'
      out = { type: 'assign', field: a.field, mode: a.mode }
      if (a.mode === 'map') {
        if (!a.by) missing.by = 'byRequired'
        const map = {}
        for (const row of a.map) {
          if (blank(row.value) && blank(row.user)) continue
          if (blank(row.value) || blank(row.user)) missing.map = 'mapIncomplete'
          else map[String(row.value)] = row.user
        }
        if (!Object.keys(map).length && !missing.map) missing.map = 'mapRequired'
        out.by = a.by
        out.map = map
        if (a.users.length) out.users = a.users
      } else {
        if (!a.users.length) missing.users = 'usersRequired'
        out.users = a.users
      }
      break
    case 'create': {
      if (!a.table) missing.table = 'targetRequired'
      const target = tables.find((x) => x.id === a.table)
      const tfields = target ? target.fields : []
      const values = {}
      for (const row of a.values) {
        if (!row.field) {
          if (!blank(row.useFormula ? row.formula : row.value)) missing.values = 'valuesIncomplete'
          continue
        }
        if (row.trigger && !row.useFormula) {
          values[row.field] = TRIGGER_RECORD
        } else if (row.useFormula) {
          const text = row.formula.trim()
          if (!text) missing.values = 'valuesIncomplete'
          values[row.field] = '=' + text.replace(/^=/, '')
        } else {
          const f = fieldOf(tfields, row.field)
          const v = f ? toApiValue(f, row.value) : row.value
          values[row.field] = v === undefined ? null : v
        }
      }
      if (a.table && !Object.keys(values).length && !missing.values) missing.values = 'valuesIncomplete'
      out = { type: 'create', table: a.table, values }
      break
    }
    case 'notify':
      if (!a.users.length && !a.roles.length && !a.owner) missing.users = 'recipientsRequired'
      if (!a.title.trim()) missing.title = 'titleRequired'
      out = { type: 'notify', users: a.users, roles: a.roles, owner: !!a.owner, title: a.title.trim(), body: a.body }
      break
    case 'robot':
      if (!a.robot) missing.robot = 'robotRequired'
      if (!a.title.trim()) missing.title = 'titleRequired'
      out = { type: 'robot', robot: a.robot, title: a.title.trim(), body: a.body, markdown: !!a.markdown, at: a.at }
      break
    case 'webhook': {
      if (!a.webhook) missing.webhook = 'webhookRequired'
      const payload = {}
      for (const row of a.payload) {
        const name = row.name.trim()
        if (!name && !row.value) continue
        if (!name) missing.payload = 'payloadIncomplete'
        else payload[name] = row.value
      }
      if (!Object.keys(payload).length && !missing.payload) missing.payload = 'payloadRequired'
      out = { type: 'webhook', webhook: a.webhook, payload }
      break
    }
    default:
      out = { type: a.type }
  }
  return { action: out, missing }
}

// Where an error path points: { part, index, key, row }.
// part: name | table | enabled | triggers | when | related | actions | general.
export function placePath(path) {
  const p = path || ''
  let m = /^triggers\[(\d+)\](?:\.(\w+))?/.exec(p)
  if (m) return { part: 'triggers', index: Number(m[1]), key: m[2] || '' }
  if (p === 'triggers') return { part: 'triggers', index: -1, key: '' }
  m = /^when(?:\.(?:and|or)\[(\d+)\])?/.exec(p)
  if (m) return { part: 'when', row: m[1] !== undefined ? Number(m[1]) : -1 }
  m = /^related(?:\.(\w+))?(?:\.(?:and|or)\[(\d+)\])?/.exec(p)
  if (m) return { part: 'related', key: m[1] || '', row: m[2] !== undefined ? Number(m[2]) : -1 }
  m = /^actions\[(\d+)\](?:\.(\w+))?/.exec(p)
  if (m) return { part: 'actions', index: Number(m[1]), key: m[2] || '' }
  if (p === 'actions') return { part: 'actions', index: -1, key: '' }
  if (['name', 'table', 'enabled'].includes(p)) return { part: p }
  return { part: 'general' }
}

// A message with the paths it names said the way the editor labels the parts:
// "actions[0].field：…" → "动作 1：…"; a path with no label ("table：…") is left out.
// t is vue-i18n's t.
export function humanPaths(msg, t) {
  return withoutLeadingPath(
    String(msg || '')
      .replace(/\bactions\[(\d+)\](?:\.[\w.[\]\u4e00-\u9fff-]*)?/g, (_, i) => t('rules.action', { n: Number(i) + 1 }))
      .replace(/\btriggers\[(\d+)\](?:\.[\w.[\]]*)?/g, (_, i) => t('rules.trigger', { n: Number(i) + 1 }))
      .replace(/\brelated(?:\.[\w.[\]]+)/g, t('rules.related'))
      .replace(/\bwhen(?:\.(?:and|or)\[\d+\][\w.[\]]*)/g, t('rules.when')),
  )
}

// The part of a rule the API answers but does not take.
export function ruleBody(r, enabled = r.enabled) {
  const { id, text, problem, lastRun, lastError, lastFired, fired, changed, tableName, ...rest } = r
  return { ...rest, enabled }
}

// "2026-11-23T10:00:00Z" → "3 分钟前" / "3 minutes ago" in the UI language.
export function relativeTime(iso, lang, now = Date.now()) {
  const d = new Date(iso)
  if (isNaN(d)) return String(iso || '')
  const fmt = new Intl.RelativeTimeFormat(lang === 'en' ? 'en' : 'zh-CN', { numeric: 'auto' })
  const s = Math.round((d.getTime() - now) / 1000)
  const a = Math.abs(s)
  if (a < 45) return fmt.format(0, 'second')
  if (a < 3600) return fmt.format(Math.round(s / 60), 'minute')
  if (a < 86400) return fmt.format(Math.round(s / 3600), 'hour')
  if (a < 86400 * 30) return fmt.format(Math.round(s / 86400), 'day')
  const pad = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export { newRowKey }

// Shared state of the signed-in session: the user, the app/table tree, users and field types.

import { reactive } from 'vue'
import { api, ApiError } from './api'
import { i18n } from './i18n'

export const store = reactive({
  ready: false, // setup state and current user are known
  needsSetup: false,
  user: null,
  apps: [],
  users: [],
  departments: [], // the department tree, in display order (GET /api/departments)
  fieldTypes: [],
})

// Learns whether the server needs its first admin, and who is signed in.
export async function initSession() {
  const setup = await api.get('/setup')
  store.needsSetup = !!setup.needsSetup
  store.user = null
  if (!store.needsSetup) {
    try {
      store.user = await api.get('/auth/me', undefined, { quiet401: true })
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e
    }
  }
  store.ready = true
}

// Loads the apps and tables the person may view, and their permissions afresh (a new table
// brings its own).
export async function loadApps() {
  const [res, me] = await Promise.all([api.get('/apps'), store.user ? api.get('/auth/me') : null])
  store.apps = res.items || []
  if (me) store.user = me
}

export async function loadUsers() {
  try {
    const res = await api.get('/users')
    store.users = res.items || []
  } catch {
    // Members may not be allowed to list users; pickers then show ids and $me only.
    store.users = store.user ? [store.user] : []
  }
}

export async function loadDepartments() {
  try {
    store.departments = (await api.get('/departments')).departments || []
  } catch {
    store.departments = []
  }
}

export function departmentName(id) {
  const d = store.departments.find((x) => x.id === id)
  return d ? d.name : null
}

// The departments list as el-tree-select wants it, children under their parent.
export function departmentTree(list) {
  const node = (dep) => ({
    value: dep.id,
    label: dep.name,
    children: list
      .filter((x) => x.parentId === dep.id)
      .sort((a, b) => a.position - b.position)
      .map(node),
  })
  return list.filter((x) => !x.parentId || !list.some((p) => p.id === x.parentId)).map(node)
}

export async function loadFieldTypes() {
  const res = await api.get('/field-types')
  store.fieldTypes = res.items || []
}

export function fieldTypeLabel(type) {
  const t = store.fieldTypes.find((x) => x.type === type)
  return t ? t.label : type
}

export function userName(id) {
  if (id === SYSTEM_USER) return i18n.global.t('history.system')
  const u = store.users.find((x) => x.id === id)
  return u ? u.name : null
}

// The 创建人 of the records rules create: the system, not a person (see records.SystemUser).
export const SYSTEM_USER = 0

// All tables of all apps, each with its app's name.
export function allTables() {
  return store.apps.flatMap((a) => (a.tables || []).map((t) => ({ ...t, appName: a.name })))
}

export function clearSession() {
  store.user = null
  store.apps = []
  store.users = []
}

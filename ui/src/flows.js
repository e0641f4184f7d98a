// Shared by the to-do center (待办中心), the record page's flows and the nav badge: the count of
// my open flow tasks, kept current, and how states, actions and durations read.

import { reactive } from 'vue'
import { api } from './api'

// todo is the number of my open tasks (待我处理) and copies; refreshTodo reads them again. The
// nav reads it at start, on every page change, when the inbox stream says something arrived
// (a new task comes with a notice) and after each action here.
export const todo = reactive({ todo: 0, cc: 0 })

let loadNo = 0
export async function refreshTodo() {
  const mine = ++loadNo
  try {
    const res = await api.get('/tasks', { box: 'todo', limit: 1 })
    if (mine !== loadNo) return
    todo.todo = res.todo || 0
    todo.cc = res.cc || 0
  } catch {
    // the badge keeps its last count
  }
}

// tasksChanged tells the other views (the nav badge, an open list) that tasks moved.
export function tasksChanged() {
  refreshTodo()
  window.dispatchEvent(new CustomEvent('tierbase:tasks'))
}

// The tag type of an instance's state.
export const stateType = { running: 'primary', approved: 'success', rejected: 'danger', withdrawn: 'info', stopped: 'warning' }

// duration is a span of time in the largest units a person reads (3天2小时, 5分钟).
export function duration(ms, t) {
  const m = Math.max(0, Math.floor(ms / 60000))
  const d = Math.floor(m / 1440)
  const h = Math.floor((m % 1440) / 60)
  const min = m % 60
  if (d) return t('flowRun.days', { d, h })
  if (h) return t('flowRun.hours', { h, m: min })
  return t('flowRun.minutes', { m: min })
}

export const since = (iso, until) => (until ? new Date(until) : new Date()) - new Date(iso)

// nodesOf flattens a definition's nodes, branches included.
export function nodesOf(nodes) {
  const out = []
  for (const n of nodes || []) {
    out.push(n)
    for (const b of n.branches || []) out.push(...nodesOf(b.nodes))
  }
  return out
}

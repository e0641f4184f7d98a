// What the lists of rules and of grading schemes share: which row is busy, the last run's
// message per row, and deleting a row after asking.

import { reactive } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessage } from 'element-plus'
import { confirmDelete } from './confirm'
import { api, seg } from './api'

// items is the ref of the list's rows, path their API path ('/rules'), ns their i18n section
// with deleteConfirm and deleted ('rules'). Returns busy (id → 'toggle' | 'run'), results
// (id → the last run's message), whileBusy and remove.
export function useListActions(items, path, ns) {
  const { t } = useI18n()
  const busy = reactive({})
  const results = reactive({})

  // Runs fn with busy[row.id] = what meanwhile; an error is shown as a message.
  async function whileBusy(row, what, fn) {
    busy[row.id] = what
    try {
      await fn()
    } catch (e) {
      ElMessage.error(e.message)
    } finally {
      delete busy[row.id]
    }
  }

  // Deletes the row once the user confirms, and takes it off the list.
  async function remove(row) {
    if (!(await confirmDelete(t, t(ns + '.deleteConfirm', { name: row.name })))) return
    try {
      await api.del(`${path}/${seg(row.id)}`)
      ElMessage.success(t(ns + '.deleted', { name: row.name }))
      items.value = items.value.filter((x) => x.id !== row.id)
    } catch (e) {
      ElMessage.error(e.message)
    }
  }

  return { busy, results, whileBusy, remove }
}

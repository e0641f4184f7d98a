// What the rule and scheme editors share besides the preview: the table picker's groups, and
// loading, saving and the question before leaving unsaved changes.

import { ref } from 'vue'
import { onBeforeRouteLeave } from 'vue-router'
import { ElMessage, ElMessageBox } from 'element-plus'

// Tables grouped by app, in the sidebar's order (tables of no known app last): apps are the
// store's apps, tables the full tables of GET /api/tables.
export function groupTables(apps, tables) {
  const groups = apps
    .map((app) => ({ name: app.name, tables: (app.tables || []).map((x) => tables.find((y) => y.id === x.id)).filter(Boolean) }))
    .filter((g) => g.tables.length)
  const seen = new Set(groups.flatMap((g) => g.tables.map((x) => x.id)))
  const rest = tables.filter((x) => !seen.has(x.id))
  if (rest.length) groups.push({ name: '—', tables: rest })
  return groups
}

// The loading, saving and leaving of an editor page over form (a reactive object). ns is the
// i18n section with saveFailed, leaveConfirm, leave and stay ('rules', 'schemes'); t is
// vue-i18n's t. Once loadForm or saveForm succeeds, form counts as saved: leaving the page with
// other changes asks first.
export function useEditing(form, ns, t) {
  const loading = ref(false)
  const loadError = ref('')
  const saving = ref(false)
  let snapshot = ''
  const current = () => JSON.stringify(form)

  // Runs fill() (it loads and fills in form) with loading set; its error becomes loadError.
  async function loadForm(fill) {
    loading.value = true
    loadError.value = ''
    try {
      await fill()
      snapshot = current()
    } catch (e) {
      loadError.value = e.message
    } finally {
      loading.value = false
    }
  }

  // Runs request() (the API call that saves) with saving set, then done(its answer); an error
  // goes to failed(e), and the message '<ns>.saveFailed' is shown.
  async function saveForm(request, done, failed) {
    saving.value = true
    try {
      const res = await request()
      snapshot = current()
      done(res)
    } catch (e) {
      failed(e)
      ElMessage.error(t(ns + '.saveFailed'))
    } finally {
      saving.value = false
    }
  }

  onBeforeRouteLeave(async () => {
    if (loading.value || loadError.value || current() === snapshot) return true
    try {
      await ElMessageBox.confirm(t(ns + '.leaveConfirm'), t('common.confirm'), {
        type: 'warning',
        confirmButtonText: t(ns + '.leave'),
        cancelButtonText: t(ns + '.stay'),
      })
      return true
    } catch {
      return false
    }
  })

  return { loading, loadError, saving, loadForm, saveForm }
}

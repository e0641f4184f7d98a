// The live impact preview of the rule and scheme editors, and the helpers both use to show a
// server error at the input it is about.

import { computed, onBeforeUnmount, reactive, ref, watch } from 'vue'
import { withoutPath } from './api'

// How long the form must stay still before the preview is asked for (ms).
export const PREVIEW_DELAY = 400

// Asks for a preview whenever key changes to a non-empty string, PREVIEW_DELAY after the last
// change; an empty key means the form is not complete (no preview). An answer to an older
// request is dropped. request() returns the API call's promise. Every change first calls
// clearErrors(); a good answer clears them too, a failed one goes to placeError(e) and its first
// detail, through humanMessage(message, path), becomes error.
// Returns a reactive object for ImpactPreview's live: preview (the answer or null), error,
// loading and state ('idle' | 'loading' | 'error' | 'ready', the panel's data-state).
export function useLivePreview({ key, request, clearErrors, placeError, humanMessage }) {
  const preview = ref(null)
  const error = ref('')
  const loading = ref(false)
  const state = computed(() => (!key.value ? 'idle' : loading.value ? 'loading' : error.value ? 'error' : 'ready'))
  let timer = null
  let requestNo = 0

  async function run() {
    if (!key.value) return
    const mine = ++requestNo
    loading.value = true
    try {
      const res = await request()
      if (mine !== requestNo) return // a newer request is under way or done: this answer is stale
      preview.value = res
      error.value = ''
      clearErrors()
    } catch (e) {
      if (mine !== requestNo) return
      preview.value = null
      const first = e.details && e.details[0]
      error.value = first ? humanMessage(first.message, first.path || '') : e.message
      placeError(e)
    } finally {
      if (mine === requestNo) loading.value = false
    }
  }

  watch(key, (k) => {
    clearTimeout(timer)
    clearErrors()
    if (!k) {
      requestNo++ // forget any answer still on its way
      loading.value = false
      preview.value = null
      error.value = ''
      return
    }
    loading.value = true
    timer = setTimeout(run, PREVIEW_DELAY)
  })
  onBeforeUnmount(() => clearTimeout(timer))

  return reactive({ preview, error, loading, state })
}

// Calls place(path, message) for each detail of an API error (path '' for the whole form), the
// message said through humanMessage(message, path).
export function placeDetails(e, humanMessage, place) {
  const details = e.details && e.details.length ? e.details : [{ message: e.message, path: '' }]
  for (const d of details) {
    const path = d.path || ''
    place(path, humanMessage(d.message || e.message, path))
  }
}

// A message with the path it names said as the editor labels that part (humanPath(path)), or
// without the path when the editor has no label for it (humanPath gives the path back).
export function withHumanPath(msg, path, humanPath) {
  if (!path || !String(msg).includes(path)) return msg
  const label = humanPath(path)
  return label && label !== path ? String(msg).split(path).join(label) : withoutPath(msg, path)
}

// A count as a change: "+120", "−35", "±0".
export const signed = (n) => (n > 0 ? '+' + n : n < 0 ? '−' + Math.abs(n) : '±0')

// The tag type of a change: more is success, fewer is danger, none is info.
export const changeType = (n) => (n > 0 ? 'success' : n < 0 ? 'danger' : 'info')

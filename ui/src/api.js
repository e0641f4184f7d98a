// Thin fetch wrapper for the tierbase HTTP API (docs/api.md).
// Sends the UI language, the CSRF token on writes, and turns error bodies into ApiError.

import { currentLang } from './i18n'

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {}
    super(err.message || `HTTP ${status}`)
    this.status = status
    this.code = err.code || ''
    this.details = err.details || []
  }

  // Messages of the details that concern a field, keyed by the field's display name.
  fieldErrors() {
    const out = {}
    for (const d of this.details) {
      if (d.field && !out[d.field]) out[d.field] = d.message
    }
    return out
  }
}

let onUnauthorized = () => {}

// Called with no arguments whenever an API call answers 401 (session expired or missing).
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return ''
}

export async function request(method, path, { body, query, quiet401 = false } = {}) {
  let url = '/api' + path
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, v)
    }
    const qs = params.toString()
    if (qs) url += '?' + qs
  }
  const headers = { Accept: 'application/json', 'Accept-Language': currentLang() === 'en' ? 'en' : 'zh-CN' }
  if (method !== 'GET') {
    const csrf = cookie('tb_csrf')
    if (csrf) headers['X-CSRF-Token'] = csrf
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  let data = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !quiet401) onUnauthorized()
    throw new ApiError(res.status, data)
  }
  return data
}

// Encodes a table, field or record reference for use in a URL path.
export const seg = (s) => encodeURIComponent(String(s))

export const api = {
  get: (path, query, opts) => request('GET', path, { query, ...opts }),
  post: (path, body, opts) => request('POST', path, { body: body ?? {}, ...opts }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
}

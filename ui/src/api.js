// Thin fetch wrapper for the tierbase HTTP API (docs/api.md).
// Sends the UI language, the CSRF token on writes, and turns error bodies into ApiError.

import { currentLang } from './i18n'

// A message without the JSON path the server puts before it ("table：没有表「订单」" →
// "没有表「订单」", "第 2 行，actions[0].field：…" → "第 2 行：…"): paths are for programs; a
// person reads the rest, or the editor names the part (preview.js withHumanPath).
export function withoutPath(msg, path) {
  const m = String(msg ?? '')
  if (!path) return m
  for (const [sep, end] of [['，', '：'], [', ', ': ']]) {
    if (m.startsWith(path + end)) return m.slice(path.length + end.length)
    const i = m.indexOf(sep + path + end)
    if (i >= 0) return m.slice(0, i) + end + m.slice(i + sep.length + path.length + end.length)
  }
  return m
}

// A raw path at the start of a message whose path is not known (a rule's stored problem):
// "actions[0].values.标题：…", "table: …" (keys of rules, schemes, charts and fields).
const leadingPath = /^(?:[A-Za-z_]\w*(?:\[\d+\])+|[A-Za-z_]\w*\.[\w.[\]\u4e00-\u9fff-]+|table|name|field|enabled|when|related|actions|triggers|levels|default|dimensions|measures|filter|options|type|title)(?:：|: )/

// A message without a raw path at its start.
export const withoutLeadingPath = (msg) => String(msg ?? '').replace(leadingPath, '')

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {}
    const details = err.details || []
    const path = details.length === 1 ? details[0].path : ''
    super(withoutPath(err.message, path) || `HTTP ${status}`)
    this.status = status
    this.code = err.code || ''
    this.details = details
  }

  // Messages of the details that concern a field, keyed by the field's display name.
  fieldErrors() {
    const out = {}
    for (const d of this.details) {
      if (d.field && !out[d.field]) out[d.field] = d.message
    }
    return out
  }

  // fieldErrors without the 字段「…」 prefix: for forms that show each under its own input,
  // whose fields are the API's keys (password, email), not names a person reads.
  fieldHints() {
    const out = this.fieldErrors()
    for (const [k, m] of Object.entries(out)) {
      for (const prefix of [`字段「${k}」：`, `field "${k}": `]) {
        if (m.startsWith(prefix)) out[k] = m.slice(prefix.length)
      }
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
  const headers = { Accept: 'application/json', 'Accept-Language': acceptLanguage() }
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
  put: (path, body) => request('PUT', path, { body }),
  del: (path) => request('DELETE', path),
}

// Posts body to an endpoint answering NDJSON (one JSON value a line, e.g. progress then a
// result) and calls onLine with each as it comes; resolves to the last. An {error} line, or a
// refused request, rejects with ApiError.
export async function postLines(path, body, onLine) {
  const headers = { Accept: 'application/x-ndjson', 'Accept-Language': acceptLanguage(), 'Content-Type': 'application/json' }
  const csrf = cookie('tb_csrf')
  if (csrf) headers['X-CSRF-Token'] = csrf
  const res = await fetch('/api' + path, { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify(body) })
  if (!res.ok) {
    if (res.status === 401) onUnauthorized()
    throw new ApiError(res.status, parseJSON(await res.text()))
  }
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buf = ''
  let last = null
  for (;;) {
    const { value, done } = await reader.read()
    buf += decoder.decode(value || new Uint8Array(), { stream: !done })
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = parseJSON(buf.slice(0, i))
      buf = buf.slice(i + 1)
      if (!line) continue
      if (line.error) throw new ApiError(422, line)
      last = line
      onLine(line)
    }
    if (done) return last
  }
}

function acceptLanguage() {
  return currentLang() === 'en' ? 'en' : 'zh-CN'
}

function parseJSON(text) {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

// Uploads a file as the multipart field "file" with XMLHttpRequest (fetch reports no upload
// progress). onProgress gets the fraction sent, 0…1. Resolves to the JSON answer; rejects with
// ApiError (status 0 when the network failed). The returned promise has abort().
export function upload(path, file, { onProgress } = {}) {
  const xhr = new XMLHttpRequest()
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api' + path)
    xhr.withCredentials = true
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.setRequestHeader('Accept-Language', acceptLanguage())
    const csrf = cookie('tb_csrf')
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf)
    if (onProgress) {
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
      }
      xhr.upload.onload = () => onProgress(1)
    }
    xhr.onload = () => {
      const data = parseJSON(xhr.responseText)
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data)
        return
      }
      if (xhr.status === 401) onUnauthorized()
      reject(new ApiError(xhr.status, data))
    }
    xhr.onerror = () => reject(new ApiError(0, null))
    xhr.onabort = () => reject(Object.assign(new ApiError(0, null), { aborted: true }))
    const form = new FormData()
    form.append('file', file, file.name)
    xhr.send(form)
  })
  promise.abort = () => xhr.abort()
  return promise
}

// The file name of a Content-Disposition header (filename* preferred), or "".
function dispositionName(header) {
  if (!header) return ''
  const star = /filename\*\s*=\s*([^;]+)/i.exec(header)
  if (star) {
    const v = star[1].trim().replace(/^"|"$/g, '')
    const i = v.indexOf("''")
    try {
      return decodeURIComponent(i >= 0 ? v.slice(i + 2) : v)
    } catch {
      // fall through to the plain filename
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header)
  return plain ? (plain[2] ?? plain[1]).trim() : ''
}

// Downloads GET /api<path>?query as a file: fetched with the session cookie, so an error
// answer can be shown instead of being saved, then handed to the browser through an object
// URL. The name comes from Content-Disposition, else fallbackName.
export async function download(path, query, fallbackName = 'download') {
  let url = '/api' + path
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, v)
    }
    const qs = params.toString()
    if (qs) url += '?' + qs
  }
  const res = await fetch(url, { credentials: 'same-origin', headers: { 'Accept-Language': acceptLanguage() } })
  if (!res.ok) {
    const data = parseJSON(await res.text())
    if (res.status === 401) onUnauthorized()
    throw new ApiError(res.status, data)
  }
  const blob = await res.blob()
  const name = dispositionName(res.headers.get('Content-Disposition')) || fallbackName
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = name
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 60_000)
  return name
}

// China's provinces, cities and districts for the 地址 cascader (GET /api/divisions, the
// dataset shipped in the server), fetched once per page load.
import { api } from './api'

let loading = null

export function loadDivisions() {
  if (!loading) {
    loading = api.get('/divisions').catch((e) => {
      loading = null
      throw e
    })
  }
  return loading
}

// An address's storage form "广东省/深圳市/南山区/科技园南区 88 号" split into its divisions and
// its street address (which may hold "/" itself).
export function splitAddress(value) {
  const parts = typeof value === 'string' && value ? value.split('/') : []
  return { path: parts.slice(0, 3), detail: parts.slice(3).join('/') }
}

// How an address reads: its divisions and street address separated by spaces, a municipality
// named once (北京市 朝阳区, not 北京市 北京市 朝阳区).
export function addressText(value) {
  const { path, detail } = splitAddress(value)
  return [...path.filter((p, i) => p !== path[i - 1]), detail].filter(Boolean).join(' ')
}

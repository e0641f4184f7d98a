// The curl examples of a table's API page (views/TableApiView.vue): the record endpoints of
// docs/api.md with the table's real field names and example values of their types.

// A string quoted for a POSIX shell: 'it'\''s'.
export const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`

// An example value of a field as the API takes it (user and link values are ids).
export function exampleValue(f, userId = 1) {
  const opts = (f.options || []).map((o) => o.value)
  switch (f.type) {
    case 'number':
      return f.min ?? 100
    case 'money':
      return 1234.5
    case 'percent':
      return 12.5
    case 'rating':
      return 3
    case 'date':
      return '2026-11-23'
    case 'datetime':
      return '2026-11-23T06:30:00Z'
    case 'phone':
      return '13800138000'
    case 'richtext':
      return '<p>客户很重要</p>'
    case 'file':
    case 'image':
    case 'signature':
      return [{ hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', name: '合同.pdf' }]
    case 'address':
      return '广东省/深圳市/南山区/科技园南区 88 号'
    case 'landline':
      return '0755-88888888-12'
    case 'email':
      return 'name@example.com'
    case 'url':
      return 'https://example.com'
    case 'select':
      return opts[0] ?? null
    case 'multiselect':
      return opts.slice(0, 1)
    case 'checkbox':
      return true
    case 'user':
      return userId
    case 'link':
    case 'department':
      return 1
    case 'links':
      return [1, 2]
    case 'tags':
      return ['VIP']
    case 'subform': // its rows, each keyed by the sub-fields' names
      return [Object.fromEntries((f.fields || []).filter((g) => !g.computed).map((g) => [g.name, exampleValue(g, userId)]))]
    default:
      return f.name
  }
}

// The fields an example record sets: the writable ones (required first), at most max.
export function exampleFields(table, writable, max = 4) {
  const fields = table.fields.filter((f) => writable.includes(f.name) && f.id !== 'owner')
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)].slice(0, max)
}

// The curl command lines of every record endpoint: [{ key, method, path, curl }].
// origin is the server's address; writable the field names the caller may write.
export function curlExamples({ origin, table, writable, userId = 1 }) {
  const base = `${origin}/api/tables/${encodeURIComponent(table.id)}/records`
  const auth = `-H "Authorization: Bearer $TOKEN"`
  const json = `-H 'Content-Type: application/json'`
  const record = Object.fromEntries(exampleFields(table, writable).map((f) => [f.name, exampleValue(f, userId)]))
  const first = exampleFields(table, writable, 1)[0]
  const patch = first ? { [first.name]: exampleValue(first, userId) } : {}
  const title = table.fields.find((f) => f.id === table.titleField) || first || { name: 'id' }
  const filter = { and: [{ field: title.name, op: 'notEmpty' }] }
  const created = table.fields.find((f) => f.id === 'created_at')
  const body = (v) => `-d ${shellQuote(JSON.stringify(v))}`
  return [
    { key: 'login', method: 'POST', path: '/api/auth/login', curl: `curl -X POST ${origin}/api/auth/login ${json} \\\n  -d '{"email":"you@example.com","password":"…"}'\n# TOKEN=<token>` },
    {
      key: 'list', method: 'GET', path: base.slice(origin.length),
      curl: `curl -G ${base} ${auth} \\\n  --data-urlencode ${shellQuote('filter=' + JSON.stringify(filter))} \\\n  --data-urlencode ${shellQuote('sort=-' + (created ? created.name : 'id'))} -d limit=50`,
    },
    { key: 'create', method: 'POST', path: base.slice(origin.length), curl: `curl -X POST ${base} ${auth} ${json} \\\n  ${body(record)}` },
    { key: 'get', method: 'GET', path: base.slice(origin.length) + '/{id}', curl: `curl ${base}/1 ${auth}` },
    { key: 'update', method: 'PATCH', path: base.slice(origin.length) + '/{id}', curl: `curl -X PATCH ${base}/1 ${auth} ${json} \\\n  ${body(patch)}` },
    { key: 'delete', method: 'DELETE', path: base.slice(origin.length) + '/{id}', curl: `curl -X DELETE ${base}/1 ${auth}` },
    {
      key: 'batch', method: 'POST', path: base.slice(origin.length) + '/batch',
      curl: `curl -X POST ${base}/batch ${auth} ${json} \\\n  ${body({ items: [record, { id: 1, ...patch }] })}`,
    },
  ]
}

import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { api, seg } from './api'

// useMoves is how a board moves records by one field (a kanban card to another column, a
// calendar chip to another day): the record changes at once and is saved through the ordinary
// record update, so the field's checks, rules and history apply; the server's refusal puts it
// back (undo puts it back on the board) and keeps the reason in refused, by record id.
export function useMoves(table) {
  const refused = ref({})
  async function move(rec, name, value, undo) {
    const old = rec[name]
    rec[name] = value
    const { [rec.id]: _, ...rest } = refused.value
    refused.value = rest
    try {
      const { _titles, ...saved } = await api.patch(`/tables/${seg(table().id)}/records/${rec.id}`, { [name]: value })
      Object.assign(rec, saved)
    } catch (e) {
      rec[name] = old
      if (undo) undo()
      refused.value = { ...refused.value, [rec.id]: e.message }
      ElMessage.error(e.message)
    }
  }
  return { refused, move }
}

// The questions asked before anything is deleted, or regraded.

import { ElMessageBox } from 'element-plus'
import { api } from './api'

// confirmDelete asks the user to confirm a deletion described by message, with a red 删除
// button; it resolves true when they confirm. t is vue-i18n's translate function.
export function confirmDelete(t, message) {
  return ask(message, t('common.confirm'), {
    confirmButtonText: t('common.delete'),
    cancelButtonText: t('common.cancel'),
    confirmButtonClass: 'el-button--danger',
  })
}

// confirmRegrade asks, when saving (or enabling) the grading scheme body would change grades,
// whether to go on: how many records of tableName change and the moves (将有 1,234 条客户记录
// 的等级改变：普通客户→高价值客户 800，…). It resolves true when they confirm or nothing changes;
// a failed preview lets the save itself say what is wrong.
export async function confirmRegrade(t, body, tableName) {
  let imp
  try {
    imp = await api.post('/schemes/preview', body)
  } catch {
    return true
  }
  if (!imp.changed) return true
  const grade = (g) => g || t('schemes.emptyGrade')
  const moves = imp.moves.slice(0, 5).map((m) => `${grade(m.from)}→${grade(m.to)} ${m.count.toLocaleString()}`)
  if (imp.moves.length > 5) moves.push('…')
  const message = t('schemes.confirmMoves', { n: imp.changed.toLocaleString(), table: tableName, moves: moves.join(t('schemes.moveSep')) })
  return ask(message, t('schemes.confirmTitle'), {
    confirmButtonText: t('schemes.confirmSave'),
    cancelButtonText: t('common.cancel'),
    customClass: 'scheme-confirm',
  })
}

// ask shows a warning with the given buttons; it resolves true when the user confirms.
async function ask(message, title, buttons) {
  try {
    await ElMessageBox.confirm(message, title, { type: 'warning', ...buttons })
    return true
  } catch {
    return false
  }
}

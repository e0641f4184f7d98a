// The question asked before anything is deleted.

import { ElMessageBox } from 'element-plus'

// confirmDelete asks the user to confirm a deletion described by message, with a red 删除
// button; it resolves true when they confirm. t is vue-i18n's translate function.
export async function confirmDelete(t, message) {
  try {
    await ElMessageBox.confirm(message, t('common.confirm'), {
      type: 'warning',
      confirmButtonText: t('common.delete'),
      cancelButtonText: t('common.cancel'),
      confirmButtonClass: 'el-button--danger',
    })
    return true
  } catch {
    return false
  }
}

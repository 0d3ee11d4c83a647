// Saving and deleting a record of a list route (/roles, /users, /fault-rules), with the
// confirmation and messages every settings table uses.
import { ElMessage, ElMessageBox } from 'element-plus'
import { post, put, del } from '../api.js'

export function reportFailure(e) {
  if (e !== 'cancel' && e?.message) ElMessage.error(e.message)
}

// Creates (id empty) or updates; true when saved.
export async function saveRecord(t, path, id, body) {
  try {
    if (id) await put(`${path}/${id}`, body)
    else await post(path, body)
    ElMessage.success(t('common.saved'))
    return true
  } catch (e) {
    reportFailure(e)
    return false
  }
}

export async function removeRecord(t, path, id) {
  try {
    await ElMessageBox.confirm(t('common.confirmDelete'), t('common.delete'), { type: 'warning' })
    await del(`${path}/${id}`)
    ElMessage.success(t('common.deleted'))
    return true
  } catch (e) {
    reportFailure(e)
    return false
  }
}

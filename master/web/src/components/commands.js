// Commands that reach a meter through the master (a read job) and report as they go.
import { ElMessage, ElMessageBox } from 'element-plus'
import { post, followJob } from '../api.js'

// Reads a meter, a concentrator or a community now; `progress` gets each state of the job.
export async function readNow(target, progress) {
  const job = await post('/read-jobs', target)
  progress(job)
  return followJob(`/read-jobs/${job.id}`, progress)
}

// Opens or closes a CJ/T 188 valve after a confirmation; resolves to the finished job.
export async function commandValve(t, meterId, action) {
  const label = t(action === 'open' ? 'base.valveOpen' : 'base.valveClose')
  await ElMessageBox.confirm(t('base.confirmValve', { action: label, meter: meterId }), label, { type: 'warning' })
  const job = await post(`/meters/${meterId}/valve`, { action })
  const done = await followJob(`/read-jobs/${job.id}`, () => {})
  if (done.status === 'done') ElMessage.success(t('base.valveDone', { action: label }))
  else ElMessage.error(`${t('base.valveFailed')}: ${done.error || done.detail?.error || ''}`)
  return done
}

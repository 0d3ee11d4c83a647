// The name of a referenced record (a meter's concentrator, a community's station), fetched
// once and kept: lists show names where the API gives ids.
import { reactive } from 'vue'
import { get } from '../api.js'

const names = reactive({}) // "concentrators/3" -> "hm660-03"
const asked = new Set()

export function nameOf(entity, id) {
  if (id === null || id === undefined || id === '') return ''
  const key = `${entity}/${id}`
  if (!asked.has(key)) {
    asked.add(key)
    get(`/${entity}/${id}`)
      .then((r) => (names[key] = r.name || r.secondary_address || r.dtu_id || String(id)))
      .catch(() => (names[key] = String(id)))
  }
  return names[key] ?? String(id)
}

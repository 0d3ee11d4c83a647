// Who is signed in and what they may do. The UI offers only what the permissions allow; the
// API refuses the rest anyway.
import { reactive } from 'vue'
import { get, post } from './api.js'
import { companyEnergyUnit } from './units.js'

export const session = reactive({ user: null, permissions: [], checked: false })

export function can(permission) {
  return session.permissions.includes(permission)
}

// The company's settings a user starts with (the energy unit), when they may read them.
function applyCompanyDefaults() {
  if (!can('system.view')) return
  get('/system/parameters')
    .then((p) => companyEnergyUnit(p.energy_unit))
    .catch(() => {})
}

export async function loadSession() {
  // No CSRF cookie: nobody signed in here, so no /auth/me to answer 401 on the first visit.
  if (!document.cookie.includes('heatlink_csrf=')) {
    session.user = null
    session.permissions = []
    session.checked = true
    return null
  }
  try {
    const me = await get('/auth/me')
    session.user = me
    session.permissions = me.permissions || []
    applyCompanyDefaults()
  } catch {
    session.user = null
    session.permissions = []
  }
  session.checked = true
  return session.user
}

export async function signIn(name, password) {
  const me = await post('/auth/login', { name, password })
  session.user = me
  session.permissions = me.permissions || []
  session.checked = true
  applyCompanyDefaults()
  return me
}

export async function signOut() {
  try {
    await post('/auth/logout')
  } finally {
    session.user = null
    session.permissions = []
  }
}

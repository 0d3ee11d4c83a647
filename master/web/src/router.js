// One route per module; each names the permission it needs. A route the user may not see
// shows "no permission" (and the menu does not offer it).
import { createRouter, createWebHistory } from 'vue-router'
import { session, loadSession, can } from './session.js'
import { whenUnauthenticated } from './api.js'

export const pages = [
  { path: '/monitoring', name: 'monitoring', permission: 'monitor.view', icon: 'Monitor', component: () => import('./pages/MonitoringPage.vue') },
  { path: '/statistics', name: 'statistics', permission: 'stats.view', icon: 'TrendCharts', component: () => import('./pages/StatisticsPage.vue') },
  { path: '/faults', name: 'faults', permission: 'faults.view', icon: 'Warning', component: () => import('./pages/FaultsPage.vue') },
  { path: '/reading', name: 'reading', permission: ['reading.manual', 'reading.reconcile', 'reading.settings'], icon: 'Reading', component: () => import('./pages/ReadingPage.vue') },
  { path: '/base', name: 'base', permission: 'base.view', icon: 'OfficeBuilding', component: () => import('./pages/BasePage.vue') },
  { path: '/devices', name: 'devices', permission: 'system.view', icon: 'Connection', component: () => import('./pages/DevicesPage.vue') },
  { path: '/system', name: 'system', permission: ['faults.view', 'users.manage', 'system.view', 'audit.view'], icon: 'Setting', component: () => import('./pages/SystemPage.vue') },
]

// A page whose tabs need different permissions is offered when any of them is held.
export function allowed(page) {
  return Array.isArray(page.permission) ? page.permission.some(can) : can(page.permission)
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue') },
    ...pages.map((p) => ({ path: p.path, name: p.name, component: p.component, meta: { page: p } })),
    { path: '/:rest(.*)*', redirect: () => firstAllowed() },
  ],
})

export function firstAllowed() {
  const page = pages.find(allowed)
  return page ? page.path : '/login'
}

router.beforeEach(async (to) => {
  if (!session.checked) await loadSession()
  if (to.name === 'login') return session.user ? firstAllowed() : true
  if (!session.user) return { name: 'login', query: { next: to.fullPath } }
  return true
})

whenUnauthenticated(() => {
  session.user = null
  session.permissions = []
  if (router.currentRoute.value.name !== 'login') router.push({ name: 'login' })
})

// The master's REST API (/api/v1). Errors arrive as {"error": {code, message, field}} and are
// thrown as ApiError; 401 sends the user back to the sign-in page. Every change carries the
// CSRF token of the session (the heatlink_csrf cookie).
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {}
    super(error.message || `HTTP ${status}`)
    this.status = status
    this.code = error.code || 'http'
    this.field = error.field || ''
    this.body = body
  }
}

let onUnauthenticated = () => {}
export function whenUnauthenticated(callback) {
  onUnauthenticated = callback
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)heatlink_csrf=([^;]*)/)
  return match ? decodeURIComponent(match[1]) : ''
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams()
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === '') continue
    q.set(key, String(value))
  }
  const text = q.toString()
  return text ? `?${text}` : ''
}

// request('GET', '/monitoring/meters', null, {page: 2}); a string or Blob body goes as it is.
export async function request(method, path, body = null, params = null) {
  const headers = {}
  let payload
  if (body instanceof Blob || typeof body === 'string') {
    payload = body
    headers['Content-Type'] = body.type || 'text/csv'
  } else if (body !== null) {
    payload = JSON.stringify(body)
    headers['Content-Type'] = 'application/json'
  }
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken()
  const response = await fetch(`/api/v1${path}${query(params)}`, {
    method,
    headers,
    body: payload,
    credentials: 'same-origin',
  })
  const text = await response.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { error: { message: text.slice(0, 200) } }
  }
  if (response.status === 401 && path !== '/auth/login') onUnauthenticated()
  if (!response.ok) throw new ApiError(response.status, data)
  return data
}

export const get = (path, params) => request('GET', path, null, params)
export const post = (path, body) => request('POST', path, body ?? {})
export const put = (path, body) => request('PUT', path, body)
export const del = (path) => request('DELETE', path)

// The address of a CSV or XLSX export: the browser downloads it with the session's cookie.
export function exportUrl(path, params, format) {
  return `/api/v1${path}${query({ ...params, format })}`
}

// Polls a read job until it is done or failed; onProgress sees every state.
export async function followJob(path, onProgress, everyMs = 1000) {
  for (;;) {
    const job = await get(path)
    onProgress(job)
    if (job.status === 'done' || job.status === 'failed') return job
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

// A master on a fresh SQLite file with `heatlink sim` feeding it (the master-e2e district:
// one HM-660 behind an MD-109G, 283 meters of M-Bus vendors and CJ/T 188 meters with valves),
// and Debian's chromium driven by playwright-core. Started and stopped by the tests.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const bin = process.env.HEATLINK_BIN
const source = process.env.HEATLINK_SOURCE_DIR
const require = createRequire(path.join(source, 'master/web/package.json'))
export const { chromium } = require('playwright-core')
export const artifacts = process.env.HEATLINK_ARTIFACTS || path.join(os.tmpdir(), 'heatlink-web-artifacts')
fs.mkdirSync(artifacts, { recursive: true })

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')}: ${err}`))))
  })
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export async function until(what, check, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => null)
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(500)
  }
}

export async function startDistrict() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatlink-web-'))
  const topology = path.join(source, 'scenarios/topologies/master-e2e.yaml')
  const [gateway, control, api] = [await freePort(), await freePort(), await freePort()]
  fs.writeFileSync(path.join(dir, 'gateway.yaml'), `listen: 127.0.0.1:${gateway}
models:
  - {name: MD-109G, convention: id_on_connect, heartbeat_s: 5, latency_ms: 1000}
dtus:
  - {id: "13800000077", model: MD-109G}
`)
  await run(['sim', '--topology', topology, '--write-base-information', path.join(dir, 'district.yaml')])
  // The concentrator serves the community 阳光小区; its meters stand in two buildings.
  const base = fs.readFileSync(path.join(dir, 'district.yaml'), 'utf8').replace(/^(        dtu: .*)$/m, '$1\n        community: 阳光小区')
  let n = 0
  fs.writeFileSync(path.join(dir, 'base.yaml'), base.replace(/\}$/gm, () => `, building: "${++n <= 140 ? 1 : 2}号楼"}`))
  fs.writeFileSync(path.join(dir, 'master.yaml'), `name: browser-test
database: sqlite:${path.join(dir, 'heatlink.db')}
gateway: gateway.yaml
base_information: base.yaml
api: {listen: "127.0.0.1:${api}"}
schedules:
  - {name: hourly, every_s: 3600}
`)
  const master = spawn(bin, ['master', '--config', path.join(dir, 'master.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  master.stderr.on('data', (d) => (log += d))
  const password = await until('the administrator password', async () => log.match(/with the password (\S+)/)?.[1], 30000)
  await until('the browser UI', async () => log.includes('browser UI on'), 30000)
  const sim = spawn(bin, ['sim', '--topology', topology, '--server', `127.0.0.1:${gateway}`, '--control', `127.0.0.1:${control}`, '--pace', 'x20'], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${api}`
  return {
    dir,
    url,
    password,
    control: `http://127.0.0.1:${control}`,
    gateway,
    log: () => log,
    async stop() {
      for (const child of [sim, master]) {
        if (child.exitCode !== null) continue
        const exited = new Promise((resolve) => child.on('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.HEATLINK_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
}

// The API as a script sees it: a session cookie and its CSRF token.
export async function apiSession(url, name, password) {
  const response = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ name, password }) })
  if (!response.ok) throw new Error(`login ${name}: ${response.status}`)
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const { csrf_token: csrf } = await response.json()
  return async (method, target, body) => {
    const r = await fetch(`${url}/api/v1${target}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    return { status: r.status, body: text ? JSON.parse(text) : null }
  }
}

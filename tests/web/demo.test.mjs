// `make demo` as a newcomer meets it: scripts/demo.sh prints the address and the
// administrator's credentials, the UI answers, live data arrives within a minute, and Ctrl-C
// (SIGINT to the whole foreground group, as a terminal sends it) stops everything.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { apiSession, freePort, until } from './district.mjs'

test('make demo shows live data within a minute and stops on Ctrl-C', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heatlink-demo-'))
  const [api, gateway, control] = [await freePort(), await freePort(), await freePort()]
  const started = Date.now()
  const demo = spawn('bash', [path.join(process.env.HEATLINK_SOURCE_DIR, 'scripts/demo.sh')], {
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BUILD: path.dirname(path.dirname(process.env.HEATLINK_BIN)),
      DEMO_DIR: dir,
      DEMO_LISTEN: `127.0.0.1:${api}`,
      DEMO_GATEWAY_PORT: String(gateway),
      DEMO_CONTROL_PORT: String(control),
    },
  })
  let out = ''
  demo.stdout.on('data', (d) => (out += d))
  demo.stderr.on('data', (d) => (out += d))
  const exited = new Promise((resolve) => demo.on('exit', (code, signal) => resolve({ code, signal })))
  try {
    const [, url, name, password] = await until('the address and credentials', async () => out.match(/open\s+(http:\/\/\S+)\s+sign in\s+(\S+) \/ (\S+)/s), 60000)
    assert.equal(url, `http://127.0.0.1:${api}/`)
    const page = await (await fetch(url)).text()
    assert.match(page, /<div id="app">/)
    const as = await apiSession(url.replace(/\/$/, ''), name, password)
    const summary = await until('live readings', async () => {
      const s = (await as('GET', '/monitoring/summary')).body
      return s.with_data >= 50 ? s : null
    }, 60000 - (Date.now() - started))
    assert.ok(summary.meters > 3000, `${summary.meters} meters`)
    assert.ok(Date.now() - started < 60000, 'within a minute of the command')
    const communities = (await as('GET', '/communities')).body.items.map((c) => c.name)
    assert.ok(communities.includes('幸福家园'), communities.join(','))
  } finally {
    process.kill(-demo.pid, 'SIGINT')
  }
  const { code, signal } = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve({ code: 'hung' }), 20000))])
  assert.notEqual(code, 'hung', `the demo did not stop:\n${out}`)
  assert.ok(code === 0 || signal === 'SIGINT' || code === 130, `exit ${code} ${signal}`)
  assert.match(out, /demo: stopped/)
  await assert.rejects(fetch(`http://127.0.0.1:${api}/api/v1/health`), 'the master is gone')
  fs.rmSync(dir, { recursive: true, force: true })
})

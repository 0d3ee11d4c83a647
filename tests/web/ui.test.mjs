// The browser UI end to end: Debian's chromium (headless, playwright-core) against a master
// fed live by the simulator. Screenshots of every page land in HEATLINK_ARTIFACTS.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { apiSession, artifacts, launchBrowser, startDistrict, until } from './district.mjs'

let district, browser, admin, page

async function signIn(context, name, password) {
  const p = await context.newPage()
  p.setDefaultTimeout(30000)
  await p.goto(`${district.url}/`)
  await p.fill('[data-test=login-name]', name)
  await p.fill('[data-test=login-password]', password)
  await p.click('[data-test=login-submit]')
  await p.waitForSelector('[data-test=menu]')
  return p
}

const shot = (p, name) => p.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false })

// The simulator's ground truth for meter `id` (the base information lists the meters in the
// simulator's order).
async function simulated(id) {
  const r = await fetch(`${district.control}/api/v1/meters/${id - 1}`)
  return r.json()
}

before(async () => {
  district = await startDistrict()
  admin = await apiSession(district.url, 'admin', district.password)
  browser = await launchBrowser()
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, locale: 'zh-CN' })
  const login = await context.newPage()
  await login.goto(`${district.url}/`)
  await login.waitForSelector('[data-test=login-submit]')
  await shot(login, 'login')
  await login.close()
  page = await signIn(context, 'admin', district.password)
})

after(async () => {
  if (browser) await browser.close()
  if (district) await district.stop()
})

test('signing in opens the monitoring page with the simulated meters and their values', async () => {
  await page.waitForSelector('[data-test=meters-table]')
  // The hourly cycle is reading the concentrator: the page fills as readings arrive (live).
  const ok = await until('meters with readings on the page', async () => {
    const n = Number(await page.textContent('[data-test=summary-ok]'))
    return n >= 10 ? n : null
  })
  assert.ok(ok >= 10)
  assert.equal(await page.textContent('[data-test=summary-meters]'), '283')
  // The first meter's energy on the page is what the simulated meter holds (the register
  // keeps counting between the read and now).
  await until('meter 1 read', async () => (await page.locator('[data-test=meters-table] tbody tr').first().locator('[data-test=energy]').textContent()) !== '-')
  const shown = Number((await page.locator('[data-test=meters-table] tbody tr').first().locator('[data-test=energy]').textContent()).replace(/,/g, ''))
  const held = (await simulated(1)).energy_kwh
  assert.ok(shown <= held + 0.5 && shown >= held - 50, `page ${shown} kWh, simulator ${held} kWh`)
  // Where the meter is, whose it is and what else it reports: in its row's details.
  await page.locator('[data-test=meters-table] tbody tr').first().locator('.el-table__expand-icon').click()
  await page.waitForSelector('[data-test=meter-details]')
  assert.match(await page.textContent('[data-test=meter-details]'), /阳光小区/)
  await shot(page, 'monitoring')
  await page.locator('[data-test=meters-table] tbody tr').first().locator('.el-table__expand-icon').click()
})

test('a manual read round-trips through the simulator and updates the page', async () => {
  // Meter 21 is the first CJ/T 188 meter, read after the cycle's M-Bus channel.
  await page.click('[data-test=filter-protocol]')
  await page.locator('.el-select-dropdown__item:visible', { hasText: 'CJ/T 188' }).click()
  await page.click('[data-test=search]')
  const rows = page.locator('[data-test=meters-table] tbody tr')
  await until('the CJ/T 188 meters alone', async () => (await rows.count()) === 3 && (await rows.first().textContent()).includes('00000030000001'))
  const address = '00000030000003'
  const id = (await admin('GET', `/monitoring/meters?q=${address}`)).body.items[0].meter_id
  const row = rows.filter({ hasText: address })
  const before = await row.locator('[data-test=read-at]').textContent()
  await row.locator('[data-test=read-now]').click()
  await page.waitForSelector('[data-test=job-status-done]', { timeout: 90000 })
  const after = await until('the row to update', async () => {
    const text = await row.locator('[data-test=read-at]').textContent()
    return text !== before && text !== '-' ? text : null
  }, 30000)
  assert.notEqual(after, before)
  const shown = Number((await row.locator('[data-test=energy]').textContent()).replace(/,/g, ''))
  const held = (await simulated(id)).energy_kwh
  assert.ok(Math.abs(shown - held) < 50, `page ${shown} kWh, simulator ${held} kWh`)
  await shot(page, 'monitoring-manual-read')
})

test('a meter curve renders with its readings', async () => {
  await page.goto(`${district.url}/statistics?meter=1`)
  const chart = page.locator('[data-test=chart]').first()
  await chart.waitFor()
  assert.ok(Number(await chart.getAttribute('data-points')) >= 1)
  assert.ok(await chart.locator('canvas').count() >= 1, 'ECharts drew on a canvas')
  // The canvas holds more than the background: the series is drawn.
  const inked = await chart.locator('canvas').first().evaluate((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++
    return n
  })
  assert.ok(inked > 1000, `${inked} pixels drawn`)
  await page.waitForTimeout(500)
  await shot(page, 'statistics')
})

test('an XLSX export downloads and opens', async () => {
  await page.goto(`${district.url}/monitoring`)
  await page.waitForSelector('[data-test=meters-table]')
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=export-xlsx]')])
  const file = path.join(artifacts, 'monitoring.xlsx')
  await download.saveAs(file)
  const rows = execFileSync('/usr/bin/python3', ['-c', 'import openpyxl,sys; ws = openpyxl.load_workbook(sys.argv[1]).active; print(ws.max_row); print(",".join(str(c.value) for c in ws[1]))', file]).toString().split('\n')
  assert.equal(Number(rows[0]), 284, 'a header and 283 meters')
  assert.match(rows[1], /^表号,二次地址,厂家,热力站/, 'the columns as the page names them')
})

test('an import with a bad row is refused with the row named, and nothing is written', async () => {
  const before = (await admin('GET', '/communities')).body.total
  const csv = path.join(district.dir, 'communities.csv')
  fs.writeFileSync(csv, 'station_id,name\n1,新建小区\n999,无效小区\n')
  await page.goto(`${district.url}/base`)
  await page.click('.el-tabs__item:has-text("小区")')
  await page.click('[data-test=import-communities]')
  await page.setInputFiles('[data-test=import-file]', csv)
  const errors = page.locator('[data-test=import-errors]')
  await errors.waitFor()
  const text = await errors.textContent()
  assert.match(text, /3/)
  assert.match(text, /station_id/)
  assert.equal((await admin('GET', '/communities')).body.total, before)
  await page.waitForTimeout(500) // the dialog's fade-in
  await shot(page, 'base-import-rejected')
  await page.keyboard.press('Escape')
})

test('a user without a permission neither sees nor can do the thing', async () => {
  const role = await admin('POST', '/roles', { name: 'viewer', description: 'monitoring only', permissions: ['monitor.view'] })
  assert.equal(role.status, 201)
  const user = await admin('POST', '/users', { name: 'viewer', display_name: '值班员', password: 'viewer-password-1', roles: [role.body.id] })
  assert.equal(user.status, 201)
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  const viewer = await signIn(context, 'viewer', 'viewer-password-1')
  await viewer.waitForSelector('[data-test=meters-table]')
  const menu = await viewer.locator('[data-test=menu] .el-menu-item').allTextContents()
  assert.deepEqual(menu.map((m) => m.trim()), ['实时监测'])
  assert.equal(await viewer.locator('[data-test=read-now]').count(), 0, 'no manual read offered')
  assert.equal(await viewer.locator('[data-test=export-xlsx]').count(), 0, 'no export offered')
  await viewer.goto(`${district.url}/base`)
  await viewer.waitForSelector('[data-test=no-permission]')
  const refused = await viewer.evaluate(async () => (await fetch('/api/v1/stations')).status)
  assert.equal(refused, 403)
  const read = await viewer.evaluate(async () => {
    const csrf = document.cookie.match(/heatlink_csrf=([^;]*)/)[1]
    const r = await fetch('/api/v1/read-jobs', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, body: JSON.stringify({ kind: 'meter', meter_id: 1 }) })
    return r.status
  })
  assert.equal(read, 403)
  await shot(viewer, 'no-permission')
  await context.close()
})

test('the language switch changes the page to English and back', async () => {
  await page.goto(`${district.url}/monitoring`)
  await page.waitForSelector('[data-test=meters-table]')
  assert.match(await page.textContent('[data-test=menu]'), /实时监测/)
  await page.click('[data-test=language-switch]')
  await page.locator('.el-select-dropdown__item:visible', { hasText: 'English' }).click()
  await page.waitForFunction(() => document.querySelector('[data-test=menu]').textContent.includes('Monitoring'))
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en')
  await shot(page, 'monitoring-en')
  await page.click('[data-test=language-switch]')
  await page.locator('.el-select-dropdown__item:visible', { hasText: '简体中文' }).click()
  await page.waitForFunction(() => document.querySelector('[data-test=menu]').textContent.includes('实时监测'))
})

test('the unit switch shows energy in MWh and GJ', async () => {
  await page.goto(`${district.url}/monitoring`)
  const energy = page.locator('[data-test=meters-table] tbody tr').first().locator('[data-test=energy]')
  await until('a reading on the first row', async () => (await energy.textContent()) !== '-')
  const number = async () => Number((await energy.textContent()).replace(/,/g, ''))
  const kwh = await number()
  const pick = async (unit) => {
    await page.click('[data-test=unit-switch]')
    await page.locator('.el-select-dropdown__item:visible', { hasText: new RegExp(`^${unit}$`) }).click()
    await page.waitForFunction((u) => document.querySelector('[data-test=meters-table] thead').textContent.includes(`(${u})`), unit)
  }
  await pick('MWh')
  assert.ok(Math.abs((await number()) - kwh / 1000) < 0.01, `${await number()} MWh for ${kwh} kWh`)
  await pick('GJ')
  assert.ok(Math.abs((await number()) - kwh * 0.0036) < 0.01, `${await number()} GJ for ${kwh} kWh`)
  await pick('kWh')
})

test('a meter swapped without telling the base information is kept aside and filed as a replacement', async () => {
  // The fitter swaps meter 2 (read by its primary address) for a new one, its register at 0.
  const swapped = await fetch(`${district.control}/api/v1/meters/1/replace`, { method: 'POST', body: JSON.stringify({ id: '20000417' }) })
  assert.equal(swapped.status, 200)
  const job = await admin('POST', '/read-jobs', { kind: 'meter', meter_id: 2 })
  assert.equal(job.status, 202)
  await until('the read of meter 2', async () => ['done', 'failed'].includes((await admin('GET', `/read-jobs/${job.body.id}`)).body.status), 90000)
  const fault = await until('the identity fault', async () => {
    const f = (await admin('GET', '/statistics/faults?meter_id=2&open=true&code=meter_identity_mismatch')).body.items
    return f.length ? f[0] : null
  })
  assert.match(fault.detail, /answered 20000417/)
  const before = (await admin('GET', '/meters/2')).body
  await page.goto(`${district.url}/reading`)
  await page.click('.el-tabs__item:has-text("身份不符")')
  const row = page.locator('[data-test=identity-mismatches] tbody tr', { hasText: '20000417' })
  await row.waitFor()
  assert.ok((await row.textContent()).includes(before.secondary_address), 'the identity on file is shown')
  await shot(page, 'reading-identity-mismatches')
  await row.locator('button', { hasText: '登记换表' }).click()
  await page.locator('.el-dialog button[type=submit]').click()
  await until('the replacement to be filed', async () => {
    const m = (await admin('GET', '/meters/2')).body
    return m.secondary_address.startsWith('20000417') ? m : null
  })
  const filed = (await admin('GET', '/meters/2/replacements')).body.items
  assert.equal(filed.length, 1)
  assert.equal(filed[0].old_identity, before.secondary_address)
  assert.equal(filed[0].new_start_kwh, 0)
  await page.locator('[data-test=identity-mismatches] tbody tr', { hasText: '20000417' }).waitFor({ state: 'detached' })
})

test('a field team\'s sheet of replacements is imported in 身份不符: a bad row files nothing, a good sheet files', async () => {
  // Meter 3's register cleared by a service tool, written down at its last register.
  const meter = (await admin('GET', '/meters/3')).body
  const latest = (await admin('GET', `/monitoring/meters?q=${meter.secondary_address}`)).body.items[0]
  assert.ok(latest.energy_kwh !== null, 'meter 3 has been read')
  const at = new Date(Date.now() - 60000 + 8 * 3600000).toISOString().slice(0, 16).replace('T', ' ')
  const good = `${meter.secondary_address},${meter.secondary_address},${at},${latest.energy_kwh},${latest.energy_kwh}\n`
  const header = 'meter_identity,new_identity,replaced_at,old_final_kwh,new_start_kwh\n'
  const bad = path.join(district.dir, 'replacements-bad.csv')
  fs.writeFileSync(bad, header + good + '99999999FFFF0104,99999998FFFF0104,2026-12-01 08:00,1,0\n')
  await page.goto(`${district.url}/reading`)
  await page.click('.el-tabs__item:has-text("身份不符")')
  await page.click('[data-test=import-replacements]')
  await page.setInputFiles('.el-dialog [data-test=import-file]', bad)
  const errors = page.locator('.el-dialog [data-test=import-errors]')
  await errors.waitFor()
  assert.match(await errors.textContent(), /meter_identity/)
  assert.equal((await admin('GET', '/meters/3/replacements')).body.items.length, 0, 'nothing filed')
  const sheet = path.join(district.dir, 'replacements.csv')
  fs.writeFileSync(sheet, header + good)
  await page.setInputFiles('.el-dialog [data-test=import-file]', sheet)
  await page.locator('.el-dialog [data-test=import-result]', { hasText: '已登记 1 条换表' }).waitFor()
  await page.waitForTimeout(500) // the dialog's fade-in
  await shot(page, 'reading-import-replacements')
  const filed = (await admin('GET', '/meters/3/replacements')).body.items
  assert.equal(filed.length, 1)
  assert.equal(filed[0].new_start_kwh, latest.energy_kwh)
  await page.keyboard.press('Escape')
})

test('换表 on a meter in 基础信息 files a register reset and shows the history there', async () => {
  const meter = (await admin('GET', '/meters/5')).body
  await page.goto(`${district.url}/base`)
  await page.fill('.toolbar input', meter.secondary_address)
  await page.keyboard.press('Enter')
  const row = page.locator('[data-test=table-meters] tbody tr', { hasText: meter.secondary_address }).first()
  await row.waitFor()
  await row.locator('[data-test=meter-replace]').click()
  const dialog = page.locator('[data-test=meter-replacements]')
  await dialog.waitFor()
  await dialog.locator('text=未登记换表').waitFor()
  assert.equal(await dialog.locator('[data-test=replacement-identity]').inputValue(), meter.secondary_address, 'the same meter proposed: a reset')
  await dialog.locator('[data-test=replacement-old-final] input').fill('1234')
  await dialog.locator('[data-test=replacement-save]').click()
  await dialog.locator('tbody tr', { hasText: '1,234' }).or(dialog.locator('tbody tr', { hasText: '1234' })).first().waitFor()
  await page.waitForTimeout(500) // the dialog's fade-in
  await shot(page, 'base-meter-replacements')
  const filed = (await admin('GET', '/meters/5/replacements')).body.items
  assert.equal(filed.length, 1)
  assert.equal(filed[0].old_final_kwh, 1234)
  assert.equal(filed[0].new_identity, meter.secondary_address)
  assert.equal(filed[0].filed_by, 'admin')
  await page.keyboard.press('Escape')
})

test('a second device claiming the live DTU ID is shown as a conflict and resolved in 设备状态', async () => {
  // A clone of the simulated DTU: it registers with the same ID and keeps beating.
  const clone = net.connect(district.gateway, '127.0.0.1')
  await new Promise((resolve) => clone.once('connect', resolve))
  const closed = new Promise((resolve) => clone.once('close', resolve))
  clone.on('error', () => {})
  clone.write('13800000077')
  const beat = setInterval(() => clone.write('13800000077'), 2000)
  try {
    const dtu = await until('the conflict', async () => {
      const d = (await admin('GET', '/system/dtus?q=13800000077')).body.items.find((i) => i.dtu_id === '13800000077')
      return d?.conflict ? d : null
    }, 60000)
    assert.equal(dtu.contenders.length, 1)
    assert.ok(dtu.online, 'the live DTU keeps its ID')
    await page.goto(`${district.url}/devices`)
    await page.waitForSelector('[data-test=dtu-conflict]')
    // Narrowed to the DTUs in conflict: that one alone, counted over all DTUs.
    await page.click('[data-test=dtus-status]')
    await page.locator('.el-select-dropdown__item:visible', { hasText: '编号冲突' }).click()
    await until('the conflict filter', async () => (await page.locator('[data-test=dtus-table] tbody tr').count()) === 1 || null, 10000)
    assert.match(await page.locator('[data-test=dtus-table] tbody tr').innerText(), /13800000077/)
    assert.match(await page.locator('[data-test=dtus-pages]').innerText(), /1/)
    await shot(page, 'devices-dtu-conflict')
    await page.click('[data-test=resolve-conflict]')
    await page.locator('.el-message-box .el-button--primary').click()
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the clone was not closed')), 15000))])
  } finally {
    clearInterval(beat)
    clone.destroy()
  }
  const after = (await admin('GET', '/system/dtus?q=13800000077')).body.items.find((i) => i.dtu_id === '13800000077')
  assert.equal(after.conflict, false)
  assert.ok(after.online)
})

test('档案核对 writes the base information into the concentrator archive and shows it read back', async () => {
  const concentrator = (await admin('GET', '/concentrators')).body.items[0]
  const meters = (await admin('GET', `/meters?concentrator_id=${concentrator.id}&page_size=1`)).body.total
  await page.goto(`${district.url}/reading`)
  await page.click('.el-tabs__item:has-text("档案核对")')
  await page.click('[data-test=archive-concentrator]')
  await page.locator('.el-select-dropdown__item:visible', { hasText: concentrator.name }).click()
  await page.click('[data-test=archive-write]')
  await page.locator('.el-message-box .el-button--primary').click()
  await page.waitForSelector('[data-test=archive-status-done]', { timeout: 180000 })
  assert.equal((await page.textContent('[data-test=archive-matched]')).trim(), `${meters} / ${meters}`)
  assert.match(await page.textContent('[data-test=archive-progress]'), new RegExp(`已写入 ${meters} / ${meters}`))
  await shot(page, 'reading-archive-written')
  // What the concentrator holds now, read on its own.
  await page.click('[data-test=archive-read]')
  await page.locator('[data-test=archive-progress]').waitFor({ state: 'detached' })  // the write's
  await page.waitForSelector('[data-test=archive-status-done]', { timeout: 120000 })
  assert.equal((await page.textContent('[data-test=archive-matched]')).trim(), `${meters} / ${meters}`)
})

test('基础信息: a meter read by primary address is edited, the tree narrows the meters, the valves are listed', async () => {
  // A second station with its own concentrator and meter, the meter read by primary address.
  const station = (await admin('POST', '/stations', { name: '南区热力站' })).body
  const community = (await admin('POST', '/communities', { station_id: station.id, name: '湖畔小区' })).body
  const hm = (await admin('POST', '/concentrators', { station_id: station.id, community_id: community.id, name: 'hm660-south' })).body
  const made = await admin('POST', '/meters', { concentrator_id: hm.id, channel: 1, vendor: 'KAM', model: 'MULTICAL 403', protocol: 0, primary_address: 7 })
  assert.equal(made.status, 201, JSON.stringify(made.body))
  await page.goto(`${district.url}/base`)
  await page.locator('[data-test=base-tree] .el-tree-node__label', { hasText: '南区热力站' }).click()
  const meters = page.locator('[data-test=table-meters] tbody tr')
  await until('the station narrows the meters', async () => ((await meters.count()) === 1 ? true : null))
  // Edited and saved with no secondary address (before: "二次地址: required" on every such meter).
  await meters.first().locator('button', { hasText: '编辑' }).click()
  const form = page.locator('[data-test=form-meters]')
  await form.waitFor()
  await until('the protocol shown by name', async () => (/M-Bus/.test(await form.locator('[data-test=field-protocol]').innerText()) ? true : null))
  await form.locator('.el-form-item', { hasText: '厂家' }).locator('input').fill('Kamstrup')
  await page.click('[data-test=form-save]')
  await until('the meter saved', async () => ((await admin('GET', `/meters/${made.body.id}`)).body.vendor === 'Kamstrup' ? true : null))
  assert.equal(await form.locator('.el-form-item__error').count(), 0)
  await page.waitForTimeout(500) // the dialog's fade-out
  await shot(page, 'base-tree-station')
  // 阀门: the CJ/T 188 meters' valves, with the state their meters reported.
  await page.locator('.tree-head button', { hasText: '全部' }).click()
  await page.click('.el-tabs__item:has-text("阀门")')
  const valves = page.locator('[data-test=table-valves] tbody tr')
  await until('the valves listed', async () => ((await valves.count()) >= 3 ? true : null))
  assert.match(await valves.first().textContent(), /00000030000001/)
  const reported = (await admin('GET', '/valves')).body.items[0].state
  assert.equal(await valves.first().locator('[data-test=valve-state]').textContent(), { open: '开', closed: '关', fault: '故障', unknown: '未知' }[reported])
  await shot(page, 'base-valves')
})

test('a user who may read but not see the base information still chooses a concentrator', async () => {
  const role = await admin('POST', '/roles', { name: 'reader', description: 'reads meters', permissions: ['monitor.view', 'reading.manual'] })
  assert.equal(role.status, 201)
  assert.equal((await admin('POST', '/users', { name: 'reader', display_name: '抄表员', password: 'reader-password-1', roles: [role.body.id] })).status, 201)
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  const forbidden = []
  context.on('response', (r) => { if (r.status() === 403) forbidden.push(r.url()) })
  const reader = await signIn(context, 'reader', 'reader-password-1')
  await reader.waitForSelector('[data-test=meters-table]')
  await reader.goto(`${district.url}/reading`)
  await reader.locator('[data-test=read-kind] label', { hasText: '集中器' }).click()
  await reader.click('[data-test=read-concentrator]')
  await reader.locator('.el-select-dropdown__item', { hasText: 'hm660-e2e' }).first().waitFor()
  assert.deepEqual(forbidden, [], 'no drop-down asked for what the user may not see')
  await context.close()
})

test('实时监测 fits a 1366-pixel screen: every column without a horizontal scroll', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' })
  const small = await signIn(context, 'admin', district.password)
  await small.waitForSelector('[data-test=meters-table] tbody tr')
  const overflow = await small.evaluate(() => {
    const wrap = document.querySelector('[data-test=meters-table] .el-table__body-wrapper .el-scrollbar__wrap')
    return wrap.scrollWidth - wrap.clientWidth
  })
  assert.ok(overflow <= 0, `the table is ${overflow} px wider than the page`)
  const headers = (await small.locator('[data-test=meters-table] thead').first().innerText()).replace(/\s+/g, ' ')
  for (const column of ['累计热量', '累计流量', '供/回水', '温差', '瞬时流量', '功率', '状态', '供热', '阀门', '住户'])
    assert.ok(headers.includes(column), `${column} in: ${headers}`)
  await small.screenshot({ path: path.join(artifacts, 'monitoring-1366.png') })
  await context.close()
})

test('permissions, reading settings and form checks speak Chinese, not keys', async () => {
  await page.goto(`${district.url}/system`)
  await page.click('.el-tabs__item:has-text("角色")')
  await page.locator('.el-tab-pane:visible .el-table tbody tr').first().waitFor()
  const roles = await page.locator('.el-tab-pane:visible').innerText()
  assert.match(roles, /实时监测/)
  assert.doesNotMatch(roles, /monitor\.view|base\.edit/)
  await page.goto(`${district.url}/reading`)
  await page.click('.el-tabs__item:has-text("抄表任务")')
  await page.locator('.el-tab-pane:visible .el-table tbody tr').first().waitFor()
  const jobs = await page.locator('.el-tab-pane:visible .el-table').innerText()
  assert.match(jobs, /单表抄读|开阀|关阀|写入集中器档案/)
  assert.doesNotMatch(jobs, /(meter|valve_open|valve_close|archive_write)/)
  await page.click('.el-tabs__item:has-text("抄表计划")')
  await page.waitForSelector('[data-test=schedules-table]')
  const settings = await page.locator('.el-tab-pane:visible').innerText()
  assert.match(settings, /重试次数/)
  assert.doesNotMatch(settings, /flush_after_s|clock_sync_threshold_s|keep_raw/)
  await page.goto(`${district.url}/base`)
  await page.click('.el-tabs__item:has-text("热力站")')
  await page.click('[data-test=add-stations]')
  const form = page.locator('[data-test=form-stations]')
  await form.waitFor()
  await page.click('[data-test=form-save]')
  await form.locator('.el-form-item__error').first().waitFor()
  assert.equal((await form.locator('.el-form-item__error').first().innerText()).trim(), '名称：必填')
  await page.keyboard.press('Escape')
})

test('a first visit asks nothing it must be refused: no 401 before signing in', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  const refused = []
  context.on('response', (r) => { if (r.status() === 401) refused.push(r.url()) })
  const visitor = await context.newPage()
  await visitor.goto(`${district.url}/`)
  await visitor.waitForSelector('[data-test=login-submit]')
  await visitor.waitForTimeout(500)
  assert.deepEqual(refused, [])
  await context.close()
})

test('every page opens, with a screenshot kept', async () => {
  for (const [route, ready] of [
    ['faults', '[data-test=faults-table]'],
    ['reading', '[data-test=read-start]'],
    ['base', '[data-test=table-meters]'],
    ['devices', '[data-test=dtus-table]'],
    ['system', '[data-test=rules-table]'],
  ]) {
    await page.goto(`${district.url}/${route}`)
    await page.waitForSelector(ready)
    await page.waitForTimeout(800)
    await shot(page, route)
  }
  // The DTU the simulator connected is online on the devices page.
  await page.goto(`${district.url}/devices`)
  await page.waitForSelector('[data-test=dtus-table]')
  assert.match(await page.textContent('[data-test=dtus-table]'), /13800000077/)
})

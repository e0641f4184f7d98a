// The API for other programs, and the messages people read: the OpenAPI documents (the whole
// API's and a table's own) pass `redocly lint`; a table's API page shows its endpoints with
// curl examples in the table's own field names — and those examples work when run; an error
// the server names by a JSON path reaches a person without the raw path; the "within the last
// N days" operator says what it includes; English texts carry no Chinese punctuation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { session, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';
import en from '../ui/src/i18n/en.js';

const here = dirname(fileURLToPath(import.meta.url));
let server, browser, page, api;
let table, token;
const step = steps('api', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

// lint runs redocly on a document and returns its problems ([] when it is valid).
function lint(name, doc) {
  const dir = mkdtempSync(join(tmpdir(), 'tb-lint-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(doc));
    let out;
    try {
      out = execFileSync(join(here, 'node_modules/.bin/redocly'), ['lint', file, '--format=json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      out = e.stdout; // redocly exits 1 when it finds errors
    }
    const report = JSON.parse(out.slice(out.indexOf('{')));
    return report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

step('the whole API and a table have OpenAPI documents that redocly lints without errors', async () => {
  assert.equal((await api.post('/templates/crm')).status, 201);
  table = (await api.get(`/tables/${encodeURIComponent('客户')}`)).body;
  const whole = await (await fetch(server.url + '/api/openapi.json')).json();
  assert.deepEqual(lint('openapi.json', whole), []);
  const ops = Object.values(whole.paths).flatMap((p) => Object.values(p));
  assert.ok(ops.length > 60);
  assert.equal(new Set(ops.map((o) => o.operationId)).size, ops.length, 'unique operationIds');
  assert.equal(whole.servers[0].url, server.url);

  const own = await api.get(`/tables/${encodeURIComponent('客户')}/openapi.json`);
  assert.equal(own.status, 200);
  assert.deepEqual(lint('table.json', own.body), []);
  const props = own.body.components.schemas.Record.properties;
  assert.deepEqual(props['客户等级'].enum, [...table.fields.find((f) => f.name === '客户等级').options.map((o) => o.value), null]);
  assert.equal(props['首次购买日期'].format, 'date');
});

step("a table's API page shows its endpoints with curl examples that work", async () => {
  await login(page, server.url);
  await page.getByTestId('nav-table-客户').click();
  await page.getByTestId('api-open').click();
  await page.getByTestId('table-api').waitFor();
  assert.equal(new URL(page.url()).pathname, `/t/${table.id}/api`);
  await untilText(page.getByTestId('table-api-title'), '「客户」的 API');
  const fields = await text(page.getByTestId('table-api-fields'));
  for (const f of ['客户名称', '客户等级', '首次购买日期', '负责人']) assert.ok(fields.includes(f), `${f} is listed: ${fields}`);
  assert.match(fields, /string \(date\)/);
  const href = await page.getByTestId('table-api-json').getAttribute('href');
  assert.equal(href, `/api/tables/${table.id}/openapi.json`);
  const served = await page.evaluate(async (u) => (await fetch(u)).json(), href); // the signed-in browser's cookie
  assert.equal(served.openapi, '3.1.0');

  const curl = async (key) => text(page.getByTestId(`table-api-${key}`).getByTestId('table-api-curl'));
  const create = await page.getByTestId('table-api-create').getByTestId('table-api-curl').innerText();
  assert.match(create, /"客户名称":/);
  assert.ok(create.includes(`${server.url}/api/tables/${table.id}/records`));
  assert.match(await curl('list'), /filter=\{"and":\[\{"field":"客户名称"/);
  for (const key of ['get', 'update', 'delete', 'batch', 'login']) assert.match(await curl(key), /^curl /);

  // The examples run as they are, with a token.
  token = (await (await fetch(server.url + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: 'e2e-password-1' }) })).json()).token;
  const run = (cmd) => JSON.parse(execFileSync('bash', ['-c', cmd + ' -s'], { env: { ...process.env, TOKEN: token }, encoding: 'utf8' }));
  const made = run(create);
  assert.ok(made.id > 0, JSON.stringify(made));
  assert.equal(made['客户名称'], '客户名称');
  const listed = run(await page.getByTestId('table-api-list').getByTestId('table-api-curl').innerText());
  assert.ok(listed.items.some((r) => r.id === made.id), 'the list example finds the created record');
});

step('a message about a part of a chart names no raw path', async () => {
  await page.getByTestId('nav-dashboards').click();
  await page.getByTestId('dashboard-grid').waitFor();
  await page.getByTestId('add-chart').click();
  await page.getByTestId('chart-editor').waitFor();
  await page.getByTestId('chart-title').fill('');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/charts');
  await page.getByTestId('chart-save').click();
  const body = await (await answer).json();
  assert.equal(body.error.details[0].path, 'title');
  const shown = await waitUntil(async () => {
    const m = page.locator('.el-message--error');
    return (await m.count()) ? text(m.first()) : '';
  }, { message: 'the error message' });
  assert.doesNotMatch(shown, /位置|title/);
  assert.ok(shown.length > 4, shown);
  await page.keyboard.press('Escape');
});

step('the "within the last N days" condition says that it includes today', async () => {
  await page.getByTestId('nav-table-客户').click();
  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '最近消费日');
  await chooseOption(page, page.getByTestId('filter-op-0'), '在最近N天内');
  await page.getByTestId('filter-value-0').locator('input').fill('30');
  await untilText(page.getByTestId('filter-days-hint-0'), '含今天：今天及之前 30 天');
});

test('English texts of the UI carry no Chinese punctuation', () => {
  const bad = [];
  const walk = (v, path) => {
    if (typeof v === 'string') {
      if (/[，。：；！？「」『』、（）“”‘’【】《》]/.test(v)) bad.push(`${path}: ${v}`);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(en, '');
  assert.deepEqual(bad, []);
});

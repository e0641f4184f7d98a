// One user's path on a server whose data is in PostgreSQL (issue 13): the test starts a
// PostgreSQL of its own (scripts/pgtest) and tierbase on it; the admin signs in, installs
// 客户管理, adds a field to 客户, saves a customer through the form, finds it in the grid with
// a filter on the new field, and sees the 客户等级分布 chart count it. Cross-checked through
// the REST API.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, after } from 'node:test';
import { startPostgres, startServer, launch, newPage, apiClient, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

let pg, server, browser, page, api;
let id; // the customer saved through the form
const step = steps('postgres', () => page);

before(async () => {
  pg = startPostgres();
  server = await startServer([], { env: { TIERBASE_DB: pg.url } });
  browser = await launch();
  page = await newPage(browser);
  api = await apiClient(server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  pg?.stop();
});

step('the server runs on PostgreSQL; the admin signs in and installs 客户管理', async () => {
  const health = await fetch(server.url + '/api/health');
  assert.equal(health.status, 200);
  await login(page, server.url);
  await page.getByTestId('template-crm').click();
  await page.getByTestId('nav-table-客户').waitFor();
  await untilText(page.getByTestId('table-title'), '客户');
  await untilText(page.getByTestId('grid-total'), '共 0 条');
});

step('add the field 微信号 to 客户 in 字段设置', async () => {
  await page.getByTestId('designer-open').click();
  await page.getByTestId('designer').waitFor();
  await page.getByTestId('field-add').click();
  await page.getByTestId('field-form').waitFor();
  await page.getByTestId('field-name').fill('微信号');
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.getByTestId('field-item-微信号').waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('designer').waitFor({ state: 'hidden' });
  await page.getByTestId('header-微信号').waitFor();

  const table = (await api.get('/tables/' + encodeURIComponent('客户'))).body;
  assert.equal(table.fields.find((f) => f.name === '微信号')?.type, 'text');
});

step('a customer saved through the form', async () => {
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  const input = (name) => page.getByTestId(`form-field-${name}`).locator('input').first();
  await input('客户名称').fill('鹏程科技有限公司');
  await input('微信号').fill('pengcheng-2026');
  await input('历史消费金额').fill('52000');
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('grid-total'), '共 1 条');

  const list = await api.records('客户');
  assert.equal(list.total, 1);
  id = list.items[0].id;
  assert.equal(list.items[0]['客户名称'], '鹏程科技有限公司');
  assert.equal(list.items[0]['微信号'], 'pengcheng-2026');
  assert.equal(list.items[0]['累计消费金额'], 52000);
  assert.ok(!existsSync(join(server.data, 'tierbase.db')), 'the data went to PostgreSQL, not to a SQLite file');
});

step('a filter on the new field finds it in the grid, and only it', async () => {
  // A second customer the filter must leave out.
  const other = await api.post(`/tables/${encodeURIComponent('客户')}/records`, { 客户名称: '远航贸易', 微信号: 'yuanhang' });
  assert.equal(other.status, 201, JSON.stringify(other.body));
  await page.reload();
  await untilText(page.getByTestId('grid-total'), '共 2 条');

  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '微信号');
  await chooseOption(page, page.getByTestId('filter-op-0'), '包含');
  await page.getByTestId('filter-value-0').locator('input').fill('PengCheng');
  await page.getByTestId('filter-apply').click();
  await untilText(page.getByTestId('filter-sentence'), '微信号 包含 PengCheng');
  await untilText(page.getByTestId('grid-total'), '共 1 条');
  await page.getByTestId(`row-${id}`).waitFor();
  assert.equal(await text(page.getByTestId(`cell-${id}-微信号`)), 'pengcheng-2026');
  const found = await api.records('客户', { filter: JSON.stringify({ field: '微信号', op: 'contains', value: 'PengCheng' }) });
  assert.deepEqual(found.items.map((r) => r.id), [id]);
});

step('the 客户等级分布 chart counts the customers', async () => {
  const board = (await api.get('/dashboards/' + encodeURIComponent('客户分级看板'))).body;
  const pie = board.charts.find((c) => c.title === '客户等级分布');
  const data = (await api.get(`/charts/${pie.id}/data`)).body;
  const tier = (await api.get(`/tables/${encodeURIComponent('客户')}/records/${id}`)).body['客户等级'];
  assert.ok(tier, 'the customer was graded');
  assert.equal(data.rows.reduce((n, r) => n + r.values[0], 0), 2);
  assert.ok(data.rows.some((r) => r.keys[0] === tier && r.values[0] >= 1), JSON.stringify(data.rows));

  await page.getByTestId('nav-dashboards').click();
  await page.getByTestId('dashboard-grid').waitFor();
  const chart = page.getByTestId('chart-客户等级分布');
  await chart.locator('canvas').first().waitFor();
  const drawn = await waitUntil(async () => {
    const d = await chart.locator('.echart').evaluate((el) => el.__chart?.getOption().series[0].data.map((x) => [x.name, x.value]));
    return d?.length ? d : null;
  }, { message: 'the pie drawn' });
  assert.deepEqual(drawn, data.rows.map((r) => [r.keys[0], r.values[0]]));
});

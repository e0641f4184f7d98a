// 从模板创建: one click installs the 客户管理 app; its tables open from the sidebar; the UI
// switches to English (labels, the server's validation messages, the filter sentence); clicking
// a header sorts.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

const TABLES = ['客户', '联系人', '跟进记录', '订单', '待办任务', '报价单', '合同', '工单'];

let server, browser, page, api;
let ids = []; // customers added through the API, in creation order
const step = steps('template', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

// The ids of the rows of the grid, top to bottom.
const rowIds = () =>
  page.locator('[data-testid="grid"] tbody tr[data-testid^="row-"]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.testid.slice(4))));

step('从模板创建 installs 客户管理 with its four tables', async () => {
  await login(page, server.url);
  assert.match(await text(page.getByTestId('sidebar')), /还没有应用/);
  await page.getByTestId('template-crm').click();
  await page.getByTestId('nav-app-客户管理').waitFor();
  for (const name of TABLES) await page.getByTestId(`nav-table-${name}`).waitFor();
  const sidebar = await text(page.getByTestId('sidebar'));
  assert.ok(TABLES.every((n, i) => i === 0 || sidebar.indexOf(n) > sidebar.indexOf(TABLES[i - 1])), `tables in order: ${sidebar}`);
  await page.locator('.el-message').filter({ hasText: '已创建「客户管理」应用' }).waitFor();
  // The app opens on its first table.
  await untilText(page.getByTestId('table-title'), '客户');

  const apps = (await api.get('/apps')).body.items;
  const crm = apps.find((a) => a.name === '客户管理');
  assert.ok(crm, 'the app exists');
  assert.deepEqual(crm.tables.map((t) => t.name), TABLES);
  // A second install is refused by the server, and the UI shows the server's message.
  const again = await api.post('/templates/crm');
  assert.equal(again.status, 409);
  await page.getByTestId('template-crm').click();
  await page.locator('.el-message--error').filter({ hasText: again.body.error.message }).waitFor();
  assert.equal((await api.get('/apps')).body.items.length, 1);
});

step('the tables open from the sidebar', async () => {
  await page.getByTestId('nav-table-联系人').click();
  await untilText(page.getByTestId('table-title'), '联系人');
  await page.getByTestId('header-姓名').waitFor();
  await page.getByTestId('header-客户').waitFor();

  // Three customers made through the API, with amounts in neither id order.
  for (const [name, amount] of [['甲公司', 5000], ['乙公司', 100], ['丙公司', 90000]]) {
    const res = await api.post(`/tables/${encodeURIComponent('客户')}/records`, { 客户名称: name, 历史消费金额: amount, 客户等级: '潜力客户' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.push(res.body.id);
  }

  await page.getByTestId('nav-table-客户').click();
  await untilText(page.getByTestId('table-title'), '客户');
  for (const f of ['客户编号', '客户名称', '联系电话', '累计消费金额', '客户等级', '标签']) await page.getByTestId(`header-${f}`).waitFor();
  await untilText(page.getByTestId('grid-total'), '共 3 条');
  assert.match(await text(page.getByTestId(`cell-${ids[0]}-客户编号`)), /^KH-\d{8}-\d{4}$/);
});

step('switching to English changes the UI labels', async () => {
  await page.getByTestId('lang-en').click();
  await untilText(page.getByTestId('add-record'), 'New record');
  assert.equal(await text(page.getByTestId('filter-open')), 'Filter');
  assert.equal(await text(page.getByTestId('designer-open')), 'Fields');
  assert.equal(await text(page.getByTestId('grid-total')), '3 records');
  assert.equal(await text(page.getByTestId('new-table')), 'New table');
  assert.equal(await text(page.getByTestId('template-crm')), 'From template');
  assert.equal(await page.getByTestId('search').getAttribute('placeholder'), 'Search text…');
  assert.match(await text(page.locator('.tv-footer')), /Arrows move/);
  // Data stays as it is.
  assert.equal(await text(page.getByTestId('table-title')), '客户');
  // The choice survives a reload.
  await page.reload();
  await untilText(page.getByTestId('grid-total'), '3 records');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
});

step('the server\'s validation message comes in English', async () => {
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  await page.getByTestId('form-field-客户名称').locator('input').fill('Test Co.');
  await page.getByTestId('form-field-联系电话').locator('input').fill('12345');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/records'));
  await page.getByTestId('record-save').click();
  const res = await answer;
  assert.equal(res.status(), 400);
  assert.equal(res.request().headers()['accept-language'], 'en');
  const error = page.getByTestId('form-field-联系电话').locator('.el-form-item__error');
  await error.waitFor();
  assert.match(await text(error), /"12345" is not a valid mobile number/);
  assert.doesNotMatch(await text(error), /不是有效/);
  assert.equal(await text(page.getByTestId('record-save')), 'Save');
  assert.equal((await api.records('客户')).total, 3, 'nothing saved');
  await page.getByTestId('record-cancel').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
});

step('clicking a header sorts: ascending, descending, then back', async () => {
  const header = page.getByTestId('header-累计消费金额');
  const byAmount = async (desc) => (await api.records('客户', { sort: (desc ? '-' : '') + '累计消费金额' })).items.map((r) => r.id);
  const unsorted = await rowIds();
  assert.equal(unsorted.length, 3);
  assert.equal(await header.locator('.sort-mark').count(), 0);

  await header.click();
  const asc = await byAmount(false);
  assert.deepEqual(asc, [ids[1], ids[0], ids[2]]);
  await waitUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify(asc), { message: 'ascending rows' });
  await header.locator('.sort-mark').waitFor();
  assert.deepEqual(
    await page.locator('[data-testid="grid"] tbody [data-testid$="-累计消费金额"]').allInnerTexts(),
    ['¥100.00', '¥5,000.00', '¥90,000.00'],
  );

  await header.click();
  const desc = await byAmount(true);
  assert.deepEqual(desc, [ids[2], ids[0], ids[1]]);
  await waitUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify(desc), { message: 'descending rows' });

  await header.click();
  await waitUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify(unsorted), { message: 'the unsorted order again' });
  assert.equal(await header.locator('.sort-mark').count(), 0);

  // Sorting by another column: 客户名称 ascending follows the server's order.
  await page.getByTestId('header-客户名称').click();
  const byName = (await api.records('客户', { sort: '客户名称' })).items.map((r) => r.id);
  await waitUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify(byName), { message: 'rows by name' });
});

step('the filter sentence is said in the UI language', async () => {
  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, page.getByTestId('filter-op-0'), 'at least');
  await page.getByTestId('filter-value-0').locator('input').fill('5000');
  await page.getByTestId('filter-apply').click();
  const sentence = page.getByTestId('filter-sentence');
  await untilText(sentence, '累计消费金额 is greater than or equal to 5000');
  await untilText(page.getByTestId('grid-total'), '2 records');
  const want = (await api.records('客户', { filter: JSON.stringify({ and: [{ field: '累计消费金额', op: 'gte', value: 5000 }] }) })).items.map((r) => r.id);
  assert.deepEqual([...want].sort(), [ids[0], ids[2]].sort());
  assert.deepEqual([...(await rowIds())].sort(), [...want].sort());

  await page.getByTestId('lang-zh').click();
  await untilText(sentence, '累计消费金额 大于等于 5000');
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  assert.equal(await text(page.getByTestId('filter-apply')), '应用');
});

// 多条关联 and 部门 on a 390×844 phone (issue 16): a contact is linked to two customers picked
// in one dropdown and given a department from the tree; the list names both customers and the
// department, and each customer's page lists the contact among its related records.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, text } from './lib.mjs';

let server, browser, page, api, contacts, customerTable, sales;
const customers = {};
const step = steps('m2m', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

step('customers, contacts linking to several of them, and a department tree', async () => {
  const hq = await api.post('/departments', { name: '总部' });
  sales = (await api.post('/departments', { name: '销售部', parentId: hq.body.id })).body.id;
  let res = await api.post('/tables', { name: '客户', fields: [{ name: '客户名称', type: 'text' }] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  customerTable = res.body.id;
  res = await api.post('/tables', { name: '联系人', fields: [{ name: '姓名', type: 'text' }, { name: '客户', type: 'links', linkTable: '客户' }, { name: '部门', type: 'department' }] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  contacts = res.body.id;
  for (const name of ['华东科技', '华南贸易', '西北物流']) {
    customers[name] = (await api.post('/tables/客户/records', { 客户名称: name })).body.id;
  }
  await page.close();
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  await login(page, server.url);
});

step('on a phone, a contact gets two customers from one dropdown and 销售部 from the tree', async () => {
  await page.goto(`${server.url}/t/${contacts}`);
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  await page.getByTestId('form-field-姓名').locator('input').first().fill('张经理');
  const links = page.getByTestId('form-field-客户').locator('.el-select');
  await links.click();
  const list = await links.locator('input[role=combobox]').getAttribute('aria-controls');
  const option = (name) => page.locator(`[id="${list}"] .el-select-dropdown__item`).filter({ hasText: name });
  await option('华东科技').click();
  await option('西北物流').click();
  await page.keyboard.press('Escape');
  const box = await links.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the picker fits the phone: ${JSON.stringify(box)}`);

  await page.getByTestId('form-field-部门').locator('.el-select').click();
  await page.locator('.el-tree-node__content').filter({ hasText: /^\s*销售部\s*$/ }).click();
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });

  const saved = (await api.records('联系人', { filter: JSON.stringify({ field: '姓名', op: 'eq', value: '张经理' }) })).items[0];
  assert.deepEqual(saved['客户'], [customers['华东科技'], customers['西北物流']].sort((a, b) => a - b));
  assert.equal(saved['部门'], sales);
  await waitUntil(async () => {
    const shown = await text(page.locator('body'));
    return shown.includes('华东科技、西北物流') && shown.includes('销售部');
  }, { message: 'the list to name both customers and the department' });
});

step("each linked customer's page lists the contact; the other does not", async () => {
  await page.goto(`${server.url}/t/${customerTable}?record=${customers['西北物流']}`);
  await waitUntil(async () => (await text(page.getByTestId('related-count-联系人'))).includes('1'), { message: 'one related contact' });
  assert.match(await text(page.getByTestId('related-联系人')), /张经理/);
  const other = await api.records('联系人', { filter: JSON.stringify({ field: '客户', op: 'contains', value: customers['华南贸易'] }) });
  assert.equal(other.total, 0);
});

// Computed fields (issue 16): the admin installs 客户管理 and, in 字段设置 of 客户, adds a 汇总 —
// the sum of 订单金额 over the 订单 linking to the customer, without the cancelled ones. The new
// column is filled at once; saving an 订单 changes it; the grid cell and the record form show it
// read-only, and writing it through the API is refused in both languages. A 多条关联 pointing at
// 客户 (合作项目.相关客户) is offered as a source too: 合作项目数 counts the 合作项目 naming the customer.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, untilText, waitUntil, text } from './lib.mjs';

let server, browser, page, api;
const step = steps('computed', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

const T = encodeURIComponent('客户');
const O = encodeURIComponent('订单');
let customer;

step('the admin installs 客户管理; a customer with one order', async () => {
  await login(page, server.url);
  await page.getByTestId('template-crm').click();
  await page.getByTestId('nav-table-客户').waitFor();
  const c = await api.post(`/tables/${T}/records`, { 客户名称: '星河科技' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  customer = c.body.id;
  const o = await api.post(`/tables/${O}/records`, { 客户: customer, 订单金额: 800, 订单状态: '已完成' });
  assert.equal(o.status, 201, JSON.stringify(o.body));
  await page.getByTestId('nav-table-客户').click();
  await untilText(page.getByTestId('table-title'), '客户');
});

step('字段设置 offers 汇总: the sum of 订单金额 of the 订单 not cancelled, filled at once', async () => {
  await page.getByTestId('designer-open').click();
  await page.getByTestId('designer').waitFor();
  await page.getByTestId('field-add').click();
  await page.getByTestId('field-form').waitFor();
  await page.getByTestId('field-name').fill('有效订单额');
  await chooseOption(page, page.getByTestId('field-type'), '汇总');
  await chooseOption(page, page.getByTestId('field-rollup-source'), '订单 / 客户');
  await chooseOption(page, page.getByTestId('field-rollup-fn'), '求和');
  await chooseOption(page, page.getByTestId('field-rollup-field'), '订单金额');
  const form = page.getByTestId('field-form');
  await form.getByTestId('filter-add').click();
  await chooseOption(page, form.getByTestId('filter-field-0'), '订单状态');
  await chooseOption(page, form.getByTestId('filter-op-0'), '不等于');
  await chooseOption(page, form.getByTestId('filter-value-0'), '已取消');
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('field-item-有效订单额'), '有效订单额 汇总');
  await page.keyboard.press('Escape');
  await page.getByTestId('designer').waitFor({ state: 'hidden' });
  const cell = page.getByTestId(`cell-${customer}-有效订单额`);
  await waitUntil(async () => /800\.00/.test(await text(cell)), { message: 'the rollup filled' });

  const field = (await api.get(`/tables/${T}`)).body.fields.find((f) => f.name === '有效订单额');
  assert.equal(field.type, 'money');
  const { kind, fn, where } = field.computed;
  assert.deepEqual([kind, fn, where.and[0].op, where.and[0].value], ['rollup', 'sum', 'ne', '已取消']);
});

step('saving an 订单 changes it; a cancelled one does not', async () => {
  for (const [amount, status] of [[1200, '已付款'], [99999, '已取消']]) {
    const o = await api.post(`/tables/${O}/records`, { 客户: customer, 订单金额: amount, 订单状态: status });
    assert.equal(o.status, 201, JSON.stringify(o.body));
  }
  await page.reload();
  const cell = page.getByTestId(`cell-${customer}-有效订单额`);
  await waitUntil(async () => /2,000\.00/.test(await text(cell)), { message: 'the rollup after the orders' });
  assert.equal((await api.get(`/tables/${T}/records/${customer}`)).body['有效订单额'], 2000);
});

step('the cell and the form show it read-only; writing it is refused', async () => {
  assert.match(await page.getByTestId(`cell-${customer}-有效订单额`).getAttribute('class'), /readonly/);
  await page.getByTestId(`row-open-${customer}`).click();
  await page.getByTestId('record-form').waitFor();
  assert.match(await text(page.getByTestId('form-computed')), /有效订单额 .*2,000\.00/);
  assert.equal(await page.getByTestId('form-field-有效订单额').count(), 0);
  await page.keyboard.press('Escape');

  for (const [lang, want] of [['zh', /有效订单额.*是计算字段/], ['en', /有效订单额.*is a computed field/]]) {
    const res = await api.patch(`/tables/${T}/records/${customer}`, { 有效订单额: 1 }, { lang });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), want);
  }
});

step('a 多条关联 to 客户 is a source too: 合作项目数 counts the 合作项目 whose 相关客户 names the customer', async () => {
  const res = await api.post('/tables', { name: '合作项目', fields: [{ name: '项目名称', type: 'text' }, { name: '相关客户', type: 'links', linkTable: '客户' }] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const other = (await api.post(`/tables/${T}/records`, { 客户名称: '远山贸易' })).body.id;
  for (const list of [[customer], [customer, other], [customer]]) {
    const w = await api.post(`/tables/${encodeURIComponent('合作项目')}/records`, { 项目名称: '联合推广', 相关客户: list });
    assert.equal(w.status, 201, JSON.stringify(w.body));
  }
  await page.reload();
  await page.getByTestId('designer-open').click();
  await page.getByTestId('designer').waitFor();
  await page.getByTestId('field-add').click();
  await page.getByTestId('field-form').waitFor();
  await page.getByTestId('field-name').fill('合作项目数');
  await chooseOption(page, page.getByTestId('field-type'), '汇总');
  await chooseOption(page, page.getByTestId('field-rollup-source'), '合作项目 / 相关客户');
  await chooseOption(page, page.getByTestId('field-rollup-fn'), '计数');
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.keyboard.press('Escape');
  await page.getByTestId('designer').waitFor({ state: 'hidden' });
  const cell = page.getByTestId(`cell-${customer}-合作项目数`);
  await waitUntil(async () => /^3(\.0+)?$/.test((await text(cell)).trim()), { message: 'the rollup over the 多条关联 filled' });
  assert.equal((await api.get(`/tables/${T}/records/${other}`)).body['合作项目数'], 1);
});

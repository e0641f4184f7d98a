// 子表单 (issue 16): the 报价单 of 客户管理 has 报价明细 rows (产品, 数量, 单价, 小计 = 数量 × 单价)
// and 明细合计, a rollup of 小计. The admin adds, edits and removes rows in the record form; the
// grid shows how many rows a quote has; the quote's history names the rows' changes; a bad row is refused naming its row and field and
// changes nothing; on a phone the rows are cards.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, untilText, waitUntil, text } from './lib.mjs';

let server, browser, page, api;
const step = steps('subform', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

const Q = encodeURIComponent('报价单');
let quote;

const sub = () => page.getByTestId('subform-报价明细');
const rows = () => sub().getByTestId('subform-row');
const cell = (i, name) => rows().nth(i).getByTestId(`subform-cell-${name}`).locator('input');

async function openQuote() {
  await page.getByTestId(`row-open-${quote}`).click();
  await page.getByTestId('record-form').waitFor();
  await page.getByTestId('subform-报价明细').waitFor();
}

async function saveForm() {
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
}

step('the admin installs 客户管理; a quote without rows', async () => {
  await login(page, server.url);
  await page.getByTestId('template-crm').click();
  await page.getByTestId('nav-table-报价单').waitFor();
  assert.equal(await page.getByTestId('nav-table-报价明细').count(), 0, 'the rows\' table is not listed');
  const c = await api.post(`/tables/${encodeURIComponent('客户')}/records`, { 客户名称: '星河科技' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const q = await api.post(`/tables/${Q}/records`, { 客户: c.body.id, 报价金额: 20000 });
  assert.equal(q.status, 201, JSON.stringify(q.body));
  quote = q.body.id;
  await page.getByTestId('nav-table-报价单').click();
  await untilText(page.getByTestId('table-title'), '报价单');
  await untilText(page.getByTestId(`cell-${quote}-报价明细`), '0 行');
});

step('字段设置 adds a 子表单 with its own fields', async () => {
  await page.getByTestId('designer-open').click();
  await page.getByTestId('designer').waitFor();
  await page.getByTestId('field-add').click();
  await page.getByTestId('field-form').waitFor();
  await page.getByTestId('field-name').fill('付款计划');
  await chooseOption(page, page.getByTestId('field-type'), '子表单');
  await page.getByTestId('field-sub-name-0').fill('期数');
  await page.getByTestId('field-sub-add').click();
  await page.getByTestId('field-sub-name-1').fill('金额');
  await chooseOption(page, page.getByTestId('field-sub-type-1'), '金额');
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.getByTestId('field-item-付款计划').waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('designer').waitFor({ state: 'hidden' });
  const field = (await api.get(`/tables/${Q}`)).body.fields.find((f) => f.name === '付款计划');
  assert.equal(field.type, 'subform');
  assert.deepEqual(field.fields.map((g) => [g.name, g.type]), [['期数', 'text'], ['金额', 'money']]);
  assert.equal(await page.getByTestId('nav-table-付款计划').count(), 0);
});

step('rows typed in the record form are saved with it; 小计 and 明细合计 follow', async () => {
  await openQuote();
  for (const [i, [product, qty, price]] of [['服务器', '2', '5000'], ['交换机', '3', '800']].entries()) {
    await sub().getByTestId('subform-add').click();
    await waitUntil(async () => (await rows().count()) === i + 1, { message: `row ${i + 1}` });
    // 添加一行 puts the cursor in the new row's first cell; Tab goes on to the next
    await page.keyboard.type(product);
    await page.keyboard.press('Tab');
    await cell(i, '数量').fill(qty);
    await cell(i, '单价').fill(price);
  }
  await saveForm();
  await untilText(page.getByTestId(`cell-${quote}-报价明细`), '2 行');
  const rec = (await api.get(`/tables/${Q}/records/${quote}`)).body;
  assert.deepEqual(rec['报价明细'].map((r) => [r['产品'], r['数量'], r['单价'], r['小计']]), [['服务器', 2, 5000, 10000], ['交换机', 3, 800, 2400]]);
  assert.equal(rec['明细合计'], 12400);
  assert.equal(rec['报价金额'], 20000, '报价金额 stays as typed');
});

step('the form shows 小计 read-only; a row changed and one removed', async () => {
  await openQuote();
  await waitUntil(async () => (await rows().count()) === 2, { message: 'the saved rows' });
  assert.match(await text(rows().nth(0).getByTestId('subform-cell-小计')), /10,000\.00/);
  assert.equal(await rows().nth(0).getByTestId('subform-cell-小计').locator('input').count(), 0);
  await cell(1, '数量').fill('5');
  await rows().nth(0).getByTestId('subform-remove').click();
  await saveForm();
  await untilText(page.getByTestId(`cell-${quote}-报价明细`), '1 行');
  const rec = (await api.get(`/tables/${Q}/records/${quote}`)).body;
  assert.deepEqual(rec['报价明细'].map((r) => [r['产品'], r['小计']]), [['交换机', 4000]]);
  assert.equal(rec['明细合计'], 4000);
});

step("the quote's 修改历史 shows the rows' changes by row and field", async () => {
  await page.getByTestId(`row-history-${quote}`).click();
  const newest = page.getByTestId('history-panel').getByTestId('history-item').first();
  await waitUntil(async () => /报价明细 第1行 数量:\s*3\s*→\s*5/.test(await text(newest)), { message: 'the edited row' });
  assert.match(await text(newest), /报价明细 删除第1行 产品:\s*服务器\s*→\s*（空）/);
  assert.match(await text(newest), /报价明细 第1行 小计:\s*¥2,400\.00\s*→\s*¥4,000\.00/);
  await page.keyboard.press('Escape');
  await page.getByTestId('history-panel').waitFor({ state: 'hidden' });
});

step('a row without its 产品 is refused naming the row and the field; nothing changes', async () => {
  await openQuote();
  await cell(0, '数量').fill('7');
  await sub().getByTestId('subform-add').click();
  await cell(1, '单价').fill('10');
  await page.getByTestId('record-save').click();
  const error = page.getByTestId('form-field-报价明细').locator('.el-form-item__error');
  await waitUntil(async () => /第 2 行.*产品/.test(await text(error)), { message: 'the row error' });
  await page.getByTestId('record-cancel').click();
  const rec = (await api.get(`/tables/${Q}/records/${quote}`)).body;
  assert.deepEqual(rec['报价明细'].map((r) => [r['产品'], r['数量']]), [['交换机', 5]]);
  const en = await api.patch(`/tables/${Q}/records/${quote}`, { 报价明细: [{ 数量: 1 }] }, { lang: 'en' });
  assert.equal(en.status, 400);
  assert.match(en.body.error.details[0].message, /报价明细.*row 1.*产品/);
});

step('on a phone the rows are cards', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const table = (await api.get(`/tables/${Q}`)).body.id;
  await page.goto(`${server.url}/t/${table}?record=${quote}`);
  await page.getByTestId('subform-报价明细').waitFor();
  assert.equal(await page.getByTestId('subform-报价明细').locator('table').count(), 0);
  await waitUntil(async () => (await rows().count()) === 1, { message: 'the card' });
  assert.match(await text(rows().nth(0)), /第 1 行/);
  await sub().getByTestId('subform-add').click();
  await cell(1, '产品').fill('网线');
  await saveForm();
  const rec = (await api.get(`/tables/${Q}/records/${quote}`)).body;
  assert.deepEqual(rec['报价明细'].map((r) => r['产品']), ['交换机', '网线']);
});

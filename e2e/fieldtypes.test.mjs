// The field types of issue 16 in the browser: a 座机 typed as people write it is stored in one
// form, a mobile number in it is explained under the field, and its digits find it in the
// filter builder; a 地址 is picked in the 省/市/区县 cascader with its street address and
// filtered by city; a 富文本 is written with bold text and comes back sanitised; the record
// form works on a 390×844 phone.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, untilText, text } from './lib.mjs';

const TABLE = '门店';
let server, browser, page, api, tableId;
const step = steps('fieldtypes', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

const formInput = (p, field) => p.getByTestId(`form-field-${field}`).locator('input').first();
const formError = (p, field) => p.getByTestId(`form-field-${field}`).locator('.el-form-item__error');

step('a table with a 座机, a 地址 and a 富文本', async () => {
  const res = await api.post('/tables', { name: TABLE, fields: [{ name: '名称', type: 'text' }, { name: '电话', type: 'landline' }, { name: '地址', type: 'address' }, { name: '介绍', type: 'richtext' }] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  tableId = res.body.id;
  await login(page, server.url);
  await page.goto(`${server.url}/t/${tableId}`);
  await untilText(page.getByTestId('table-title'), TABLE);
});

step('a mobile number in 座机 is explained under the field; the number as written is stored in one form', async () => {
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  await formInput(page, '名称').fill('南山店');
  const tel = formInput(page, '电话');
  assert.equal(await tel.getAttribute('inputmode'), 'tel');
  assert.match(await tel.getAttribute('placeholder'), /区号/);
  await tel.fill('13800138000');
  await page.getByTestId('record-save').click();
  await formError(page, '电话').waitFor();
  assert.match(await text(formError(page, '电话')), /「13800138000」不是有效的座机号码/);

  await tel.fill('(0755)8888 8888转12');
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  const list = await api.records(TABLE);
  assert.equal(list.total, 1);
  assert.equal(list.items[0]['电话'], '0755-88888888-12');
  await untilText(page.getByTestId(`cell-${list.items[0].id}-电话`), '0755-88888888-12');
});

step('its digits find it in the filter builder', async () => {
  await api.post(`/tables/${tableId}/records`, { 名称: '朝阳店', 电话: '010-12345678' });
  await page.reload();
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '电话');
  await chooseOption(page, page.getByTestId('filter-op-0'), '包含');
  await page.getByTestId('filter-value-0').locator('input').fill('075588888888');
  await page.getByTestId('filter-apply').click();
  await untilText(page.getByTestId('grid-total'), '共 1 条');
  await page.getByTestId('filter-sentence-clear').click();
  await untilText(page.getByTestId('grid-total'), '共 2 条');
});

// pick clicks through the open cascader's columns.
async function pick(p, names) {
  for (const name of names) {
    await p.locator('.addr-popper .el-cascader-menu').last().locator('.el-cascader-node', { hasText: new RegExp(`^\\s*${name}\\s*$`) }).click();
  }
}

step('a 地址 picked in the cascader with its street address; a city filter finds it', async () => {
  const list = await api.records(TABLE, { filter: JSON.stringify({ field: '名称', op: 'eq', value: '南山店' }) });
  const id = list.items[0].id;
  await page.getByTestId(`row-open-${id}`).click();
  await page.getByTestId('record-form').waitFor();
  await page.getByTestId('address-input-地址').locator('.addr-region').click();
  await pick(page, ['广东省', '深圳市', '南山区']);
  await page.getByTestId('address-input-地址').locator('.addr-detail input').fill('科技园南区 88 号');
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  const rec = (await api.get(`/tables/${tableId}/records/${id}`)).body;
  assert.equal(rec['地址'], '广东省/深圳市/南山区/科技园南区 88 号');
  await untilText(page.getByTestId(`cell-${id}-地址`), '广东省 深圳市 南山区 科技园南区 88 号');

  await api.patch(`/tables/${tableId}/records/${(await api.records(TABLE, { filter: JSON.stringify({ field: '名称', op: 'eq', value: '朝阳店' }) })).items[0].id}`, { 地址: '北京朝阳区建国路1号' });
  const bad = await api.post(`/tables/${tableId}/records`, { 名称: '错址', 地址: '广东省/深证市/南山区' });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.body), /深圳市/);

  await page.reload();
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '地址');
  await chooseOption(page, page.getByTestId('filter-op-0'), '是或其下级');
  await page.getByTestId('filter-value-0').locator('.addr-region').click();
  await pick(page, ['广东省']); // a city is picked by its radio: any level may be
  await page.locator('.addr-popper .el-cascader-menu').last().locator('.el-cascader-node', { hasText: /^\s*深圳市\s*$/ }).locator('.el-radio').click();
  await page.keyboard.press('Escape');
  await page.getByTestId('filter-apply').click();
  await untilText(page.getByTestId('grid-total'), '共 1 条');
  await page.getByTestId('filter-sentence-clear').click();
  await untilText(page.getByTestId('grid-total'), '共 2 条');
});

step('a 富文本 with bold text; the server keeps it without what its allow-list drops', async () => {
  const list = await api.records(TABLE, { filter: JSON.stringify({ field: '名称', op: 'eq', value: '朝阳店' }) });
  const id = list.items[0].id;
  await page.getByTestId(`row-open-${id}`).click();
  await page.getByTestId('record-form').waitFor();
  const box = page.getByTestId('richtext-介绍').locator('.rt-box');
  await box.click();
  await page.keyboard.type('老客户，');
  await page.getByTestId('richtext-bold').click();
  await page.keyboard.type('优先安排');
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  const rec = (await api.get(`/tables/${tableId}/records/${id}`)).body;
  assert.match(rec['介绍'], /老客户，<(b|strong)>优先安排<\/(b|strong)>/);
  await untilText(page.getByTestId(`cell-${id}-介绍`), '老客户，优先安排');

  const res = await api.patch(`/tables/${tableId}/records/${id}`, { 介绍: '<p onclick="x()">安全<script>alert(1)</script></p>' });
  assert.equal(res.status, 200);
  assert.equal(res.body['介绍'], '<p>安全</p>');
});

step('on a 390×844 phone the record form fits and saves a 座机 and a 地址', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await ctx.newPage();
  phone.setDefaultTimeout(15_000);
  try {
    await login(phone, server.url);
    await phone.goto(`${server.url}/t/${tableId}`);
    await phone.getByTestId('add-record').click();
    await phone.getByTestId('record-form').waitFor();
    await formInput(phone, '名称').fill('客服');
    await formInput(phone, '电话').fill('400 800 8888');
    const box = await formInput(phone, '电话').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
    await phone.getByTestId('address-input-地址').locator('.addr-region').click();
    await pick(phone, ['北京市', '北京市']);
    const menus = await phone.locator('.addr-popper .el-cascader-menu').last().boundingBox();
    assert.ok(menus && menus.x + menus.width <= 391, `the cascader's third column ends at ${menus && menus.x + menus.width}`);
    await pick(phone, ['朝阳区']);
    await phone.getByTestId('record-save').click();
    await phone.getByTestId('record-form').waitFor({ state: 'hidden' });
    const list = await api.records(TABLE, { filter: JSON.stringify({ field: '名称', op: 'eq', value: '客服' }) });
    assert.equal(list.items[0]['电话'], '400-800-8888');
    assert.equal(list.items[0]['地址'], '北京市/北京市/朝阳区');
  } finally {
    await ctx.close();
  }
});

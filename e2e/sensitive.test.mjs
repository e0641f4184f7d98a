// Sensitive fields (敏感) in the UI: an admin marks a phone field 敏感 in 字段设置 (offered for
// text, phone and email fields only, with what it means); the grid then shows a lock on its
// header and does not sort by it, the admin still sees the whole number, and a search for the
// whole number finds the record. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, text, untilText } from './lib.mjs';

const TABLE = '线索';
let server, browser, page, api;
const step = steps('sensitive', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

step('a table with a phone, made through the API', async () => {
  const res = await api.post('/tables', { name: TABLE, fields: [{ name: '名称', type: 'text' }, { name: '手机', type: 'phone' }, { name: '预算', type: 'number' }] });
  assert.equal(res.status, 201);
  for (const [name, phone] of [['甲公司', '13800138000'], ['乙公司', '13900139000']]) {
    assert.equal((await api.post(`/tables/${encodeURIComponent(TABLE)}/records`, { 名称: name, 手机: phone })).status, 201);
  }
  await login(page, server.url);
  await page.goto(`${server.url}/t/${encodeURIComponent(TABLE)}`);
  await untilText(page.getByTestId('grid-total'), '共 2 条');
});

step('敏感 is offered for a phone, not for a number, and marking it is saved', async () => {
  await page.getByTestId('designer-open').click();
  await page.getByTestId('designer').waitFor();
  await page.getByTestId('field-edit-预算').click();
  await page.getByTestId('field-form').waitFor();
  assert.equal(await page.getByTestId('field-sensitive').count(), 0, 'no 敏感 for a number');
  await page.keyboard.press('Escape');
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.getByTestId('field-edit-手机').click();
  await page.getByTestId('field-form').waitFor();
  await page.getByTestId('field-sensitive').click();
  assert.match(await text(page.getByTestId('field-form')), /加密保存/);
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.keyboard.press('Escape');
  await page.getByTestId('designer').waitFor({ state: 'hidden' });
  const res = await api.get('/tables/' + encodeURIComponent(TABLE));
  assert.equal(res.body.fields.find((f) => f.name === '手机').sensitive, true);
});

step('the grid shows a lock, does not sort by it, and finds the whole number', async () => {
  const header = page.getByTestId('header-手机');
  await header.locator('.th-lock').waitFor();
  await header.click();
  await page.waitForTimeout(300);
  assert.equal(new URL(page.url()).searchParams.get('sort'), null, 'no sort by a sensitive field');
  assert.match(await text(page.getByTestId('grid')), /13800138000/, 'the admin sees the whole number');
  await page.goto(`${server.url}/t/${encodeURIComponent(TABLE)}?q=13900139000`);
  await untilText(page.getByTestId('grid-total'), '共 1 条');
  assert.match(await text(page.getByTestId('grid')), /乙公司/);
});

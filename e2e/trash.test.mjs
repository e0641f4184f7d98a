// The recycle bin (回收站): an admin deletes a record from its form, finds it under 系统管理 →
// 回收站, restores it, and the record opens again with its whole history plus 恢复. On a
// phone the bin is a list of cards; 彻底删除 asks first and removes the item for good.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, text } from './lib.mjs';

let server, browser, page, api;
let tableId, id, other;
const step = steps('trash', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

const confirmBox = (label) => page.locator('.el-message-box__btns .el-button').filter({ hasText: label });

step('a table with a record edited once (through the API)', async () => {
  const t = await api.post('/tables', { name: '客户', fields: [{ name: '客户名称', type: 'text' }, { name: '累计消费金额', type: 'money' }] });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  tableId = t.body.id;
  const r = await api.post(`/tables/${tableId}/records`, { 客户名称: '星辰科技', 累计消费金额: 1200 });
  assert.equal(r.status, 201);
  id = r.body.id;
  assert.equal((await api.patch(`/tables/${tableId}/records/${id}`, { 累计消费金额: 3400 })).status, 200);
  other = (await api.post(`/tables/${tableId}/records`, { 客户名称: '海河贸易' })).body.id;
  assert.equal((await api('DELETE', `/tables/${tableId}/records/${other}`)).status, 200);
});

step('the admin deletes the record from its form', async () => {
  await login(page, server.url);
  await page.goto(`${server.url}/t/${tableId}?record=${id}`);
  await page.getByTestId('record-delete').click();
  await confirmBox('删除').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  assert.equal((await api.get(`/tables/${tableId}/records/${id}`)).status, 404);
});

step('回收站 under 系统管理 lists it, newest first, with who deleted it', async () => {
  await page.getByTestId('nav-system').click();
  await page.getByTestId('nav-trash').click();
  await page.getByTestId('trash-page').waitFor();
  const row = page.getByTestId(`trash-item-${id}`);
  await row.waitFor();
  assert.equal(await text(row), '星辰科技');
  const list = await text(page.getByTestId('trash-table-list'));
  assert.ok(list.indexOf('星辰科技') < list.indexOf('海河贸易'), list);
  assert.match(list, /管理员|admin/);
});

step('恢复 asks, restores and opens the record; its history is whole', async () => {
  await page.getByTestId(`trash-restore-${id}`).click();
  await confirmBox('恢复').click();
  await page.getByTestId('record-form').waitFor();
  await waitUntil(async () => (await page.getByTestId('record-form').locator('input').first().inputValue()) === '星辰科技', { message: 'the restored record in its form' });
  await page.getByTestId('history-open').click();
  const items = page.getByTestId('history-panel').getByTestId('history-item');
  await waitUntil(async () => (await items.count()) === 4, { message: 'four history items' });
  const kinds = [];
  for (let i = 0; i < 4; i++) kinds.push((await text(items.nth(i).locator('.el-tag'))).trim());
  assert.deepEqual(kinds, ['恢复', '删除', '修改', '新增']);
  const rec = await api.get(`/tables/${tableId}/records/${id}`);
  assert.equal(rec.status, 200);
  assert.equal(rec.body['累计消费金额'], 3400);
});

step('on a phone the bin shows cards; 彻底删除 asks and removes the item', async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(server.url + '/admin/trash');
  const card = page.getByTestId(`trash-item-${other}`);
  await card.waitFor();
  assert.match(await text(card), /海河贸易/);
  assert.equal(await page.getByTestId(`trash-item-${id}`).count(), 0);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `page is ${width}px wide`);
  await page.getByTestId(`trash-forget-${other}`).click();
  await confirmBox('删除').click();
  await card.waitFor({ state: 'detached' });
  const bin = await api.get('/trash');
  assert.equal(bin.body.items.length, 0);
});

step('备份: 立即备份 adds a backup that downloads as a SQLite file', async () => {
  await page.goto(server.url + '/admin/backups');
  await page.getByTestId('backups-page').waitFor();
  await page.getByTestId('backup-now').click();
  const row = page.locator('[data-testid^="backup-tierbase-"]');
  await row.first().waitFor();
  const link = page.locator('[data-testid^="backup-download-"]').first();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), /^tierbase-\d{8}-\d{6}\.db$/);
  const head = await new Promise((resolve, reject) => {
    download.createReadStream().then((s) => { s.once('data', (b) => { resolve(b.subarray(0, 15).toString()); s.destroy(); }); s.once('error', reject); }, reject);
  });
  assert.equal(head, 'SQLite format 3');
});

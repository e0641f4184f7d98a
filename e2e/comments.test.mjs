// The record page's related lists and comments (issue 16): a 客户 shows its 联系人 with a count
// and 新建 that fills in the link; a comment that @mentions 张伟 notifies him with a link back,
// while 李娜, a 成员 who may not read the customer, is named as not notified. On a phone the
// comment box is reachable.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, untilText, text, apiClient } from './lib.mjs';

let server, browser, page, api;
const step = steps('comments', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

const ZHANG = { email: 'zhang@example.com', password: 'Zhang-2026-pass', name: '张伟' };
const LINA = { email: 'lina@example.com', password: 'Lina-2026-pass', name: '李娜' };
let table, customer;

step('a 客户 page lists its 联系人; 新建 there fills in the customer', async () => {
  assert.equal((await api.post('/templates/crm')).status, 201);
  assert.equal((await api.post('/users', { ...ZHANG, roles: ['admin'] })).status, 201);
  assert.equal((await api.post('/users', { ...LINA, roles: ['member'] })).status, 201);
  table = (await api.get(`/tables/${encodeURIComponent('客户')}`)).body;
  assert.deepEqual(table.related.map((r) => r.tableName).sort(), ['合同', '报价单', '联系人', '订单', '跟进记录', '待办任务', '工单'].sort());
  customer = (await api.post(`/tables/${table.id}/records`, { 客户名称: '华东精密' })).body;
  assert.equal((await api.post(`/tables/${encodeURIComponent('联系人')}/records`, { 姓名: '陈经理', 客户: customer.id })).status, 201);

  await login(page, server.url);
  await page.goto(`${server.url}/t/${table.id}?record=${customer.id}`);
  const contacts = page.getByTestId('related-联系人');
  await untilText(contacts.getByTestId('related-count-联系人'), '共 1 条');
  assert.match(await text(contacts.getByTestId('related-item-联系人').first()), /陈经理/);

  await contacts.getByTestId('related-add-联系人').click();
  const form = page.getByTestId('record-form').last();
  await form.getByTestId('form-field-姓名').locator('input').fill('王采购');
  await untilText(form.getByTestId('form-field-客户'), '客户 华东精密'); // the label, then the linked customer
  const post = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/records'));
  await page.getByTestId('record-save').last().click();
  const res = await post;
  assert.equal(res.status(), 201, await res.text());
  assert.equal((await res.json())['客户'], customer.id);
  await untilText(contacts.getByTestId('related-count-联系人'), '共 2 条');
  assert.match(await text(contacts.getByTestId('related-item-联系人').first()), /王采购/);
});

step('a comment @mentions 张伟 and 李娜: 张伟 is notified with a link, 李娜 is named as not notified', async () => {
  const box = page.getByTestId('record-comments');
  const input = box.locator('textarea');
  await input.click();
  await input.pressSequentially('@张');
  await page.locator('.el-mention-dropdown__item', { hasText: '张伟' }).click();
  await input.pressSequentially('@李');
  await page.locator('.el-mention-dropdown__item', { hasText: '李娜' }).click();
  await input.pressSequentially('客户要求周五前报价');
  await box.getByTestId('comment-send').click();
  await untilText(page.locator('.el-message--warning'), '李娜 无权查看此记录，未收到通知');
  await untilText(box.getByTestId('comment-body').first(), '@张伟 @李娜 客户要求周五前报价');

  const zhang = await apiClient(server.url, ZHANG);
  const notes = (await zhang.get('/notifications')).body.items;
  assert.equal(notes.length, 1, JSON.stringify(notes));
  const me = (await api.get('/auth/me')).body.name;
  assert.equal(notes[0].title, `${me} 在客户「华东精密」的评论中提到了你`);
  assert.equal(notes[0].link, `/t/${table.id}?record=${customer.id}`);
  const lina = await apiClient(server.url, LINA);
  assert.equal((await lina.get('/notifications')).body.items.length, 0);
  assert.equal((await lina.get(`/tables/${table.id}/records/${customer.id}/comments`)).status, 404);
});

step('the comment stays after reopening, can be deleted, and the box is reachable on a phone', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/t/${table.id}?record=${customer.id}`);
  const box = page.getByTestId('record-comments');
  await waitUntil(async () => (await box.getByTestId('comment').count()) === 1, { message: 'one comment' });
  const input = box.locator('textarea');
  await input.scrollIntoViewIfNeeded();
  const r = await input.boundingBox();
  assert.ok(r && r.x >= 0 && r.x + r.width <= 390, `the comment box fits the phone: ${JSON.stringify(r)}`);
  await box.getByTestId('comment-delete').click();
  await page.locator('.el-message-box').getByRole('button', { name: '删除' }).click();
  await waitUntil(async () => (await box.getByTestId('comment').count()) === 0, { message: 'the comment gone' });
  assert.equal((await api.get(`/tables/${table.id}/records/${customer.id}/comments`)).body.items.length, 0);
});

step('a name typed after @ without picking it from the list notifies that person too', async () => {
  const box = page.getByTestId('record-comments');
  await box.locator('textarea').fill('@张伟 再确认一下交期');
  await box.getByTestId('comment-send').click();
  await untilText(box.getByTestId('comment-body').first(), '@张伟 再确认一下交期');
  const zhang = await apiClient(server.url, ZHANG);
  await waitUntil(async () => (await zhang.get('/notifications')).body.items.length === 2, { message: 'a second notice for 张伟' });
});

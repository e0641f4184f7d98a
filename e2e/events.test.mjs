// 客户行为事件 (seed 001: 根据客户在官网的浏览行为自动打上'产品A意向'标签): the admin builds the rule
// 产品A意向 in the editor; the website sends a customer's page views with an API token; at the
// third 浏览 of 产品A within 7 days the customer is tagged, and the record's 行为 tab shows the
// views, newest first.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, waitUntil, untilText, text } from './lib.mjs';

let server, browser, page, api;
const step = steps('events', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

let table, customer, token;

step('the admin builds the rule 产品A意向 in the editor: 近7天 浏览 page = 产品A ≥ 3 次 → tag', async () => {
  assert.equal((await api.post('/templates/crm')).status, 201);
  table = (await api.get(`/tables/${encodeURIComponent('客户')}`)).body;
  customer = (await api.post(`/tables/${table.id}/records`, { 客户名称: '杭州某科技', 联系电话: '13800138000' })).body;
  await login(page, server.url);
  await page.goto(server.url + '/rules/new');
  await page.getByTestId('rule-editor').waitFor();
  await page.getByTestId('rule-preview-hint').waitFor();
  await page.getByTestId('rule-name').fill('产品A意向');
  await chooseOption(page, page.getByTestId('rule-table'), '客户');
  await chooseOption(page, page.getByTestId('trigger-on-0'), '条件持续成立（动态标签）');
  await page.getByTestId('rule-when').getByTestId('filter-remove-0').click(); // no condition on the fields
  await page.getByTestId('rule-events-on').click();
  await page.getByTestId('rule-events-name').fill('浏览');
  await page.getByTestId('rule-events-property').fill('page');
  await page.getByTestId('rule-events-equals').fill('产品A');
  await chooseOption(page, page.getByTestId('action-type-0'), '添加标签');
  await untilText(page.getByTestId('action-field-0'), '标签');
  await page.getByTestId('action-tag-0').fill('产品A意向');
  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/rules');
  await page.getByTestId('rule-save').click();
  const res = await post;
  assert.equal(res.status(), 201, await res.text());
  const saved = await res.json();
  assert.deepEqual(saved.events, { name: '浏览', property: 'page', equals: '产品A', days: 7, op: 'gte', value: 3 });
  await untilText(page.getByTestId('rule-sentence-产品A意向'), '始终保持：当 近7天 浏览（page 为 产品A）次数不少于 3 时，给 标签 加上 产品A意向（不再满足时撤销）');
});

step('the website sends three views of 产品A with an API token; the rule tags the customer', async () => {
  token = (await api.post('/tokens', { name: '官网', tables: ['客户'] })).body.token;
  const view = (page_, minutesAgo) => ({
    customer: { phone: '+86 138 0013 8000' }, name: '浏览', properties: { page: page_, from: '官网' },
    time: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  });
  const bad = await api.post('/events', { events: [view('产品A', 30), { ...view('产品A', 20), customer: { phone: '13900000000' } }] }, { token });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /events\[1\]\.customer/);
  const sent = await api.post('/events', { events: [view('产品A', 30), view('产品B', 25), view('产品A', 20)] }, { token });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const tags = async () => (await api.get(`/tables/${table.id}/records/${customer.id}`)).body['标签'] || [];
  assert.deepEqual(await tags(), []);
  assert.equal((await api.post('/events', view('产品A', 10), { token })).status, 201);
  assert.deepEqual(await tags(), ['产品A意向']);
});

step("the record's 行为 tab shows the views, newest first", async () => {
  await page.goto(server.url + '/t/' + table.id);
  await untilText(page.getByTestId(`cell-${customer.id}-标签`), '产品A意向');
  await page.getByTestId(`row-history-${customer.id}`).click();
  await page.getByTestId('history-panel').waitFor();
  await page.getByRole('tab', { name: '行为' }).click();
  const items = page.getByTestId('events-panel').getByTestId('event-item');
  await waitUntil(async () => (await items.count()) === 4, { message: 'four events' });
  const first = await text(items.first());
  assert.match(first, /浏览/);
  assert.match(first, /page: 产品A/);
  assert.match(await text(items.nth(2)), /page: 产品B/);
});

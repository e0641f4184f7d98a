// 客户行为事件 (seed 001: 根据客户在官网的浏览行为自动打上'产品A意向'标签): the website sends a
// customer's page views with an API token; at the third 浏览 of 产品A within 7 days the rule
// 产品A意向 tags the customer, and the record's 行为 tab shows the views, newest first.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, untilText, text } from './lib.mjs';

let server, browser, page, api;
const step = steps('events', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

let table, customer, token;

step('the website sends three views of 产品A with an API token; the rule tags the customer', async () => {
  assert.equal((await api.post('/templates/crm')).status, 201);
  table = (await api.get(`/tables/${encodeURIComponent('客户')}`)).body;
  customer = (await api.post(`/tables/${table.id}/records`, { 客户名称: '杭州某科技', 联系电话: '13800138000' })).body;
  const rule = await api.post('/rules', {
    name: '产品A意向', table: '客户', enabled: true, triggers: [{ on: 'always' }],
    events: { name: '浏览', property: 'page', equals: '产品A', days: 7, op: 'gte', value: 3 },
    actions: [{ type: 'add_tag', field: '标签', tag: '产品A意向' }],
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
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
  await login(page, server.url);
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

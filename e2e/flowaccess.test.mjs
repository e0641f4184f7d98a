// A task shows its record to an approver whose role cannot read the table (as 钉钉 and 飞书 do):
// on the demo, the admin gives 外审 a role with no right on 报价单, adds a date field 有效期至 and
// publishes a flow whose node 外审审批 hides 报价金额 and is due by 有效期至 (yesterday). 外审's
// 待我处理 shows the quote with its due time overdue, in red; the task panel shows the node's
// visible fields of that one quote, how long the task has waited and the diagram; the records
// API still refuses 外审 that quote, another one and the list; after 同意, 我已处理 still shows
// the quote, read-only. On a phone the list's cards show the due time too.
import assert from 'node:assert/strict';
import { session, login, apiClient, steps, waitUntil, text } from './lib.mjs';

let server, page, api;
const step = steps('flowaccess', () => page);
session(['--demo'], {}, (s) => {
  ({ server, page, api } = s);
});

const AUDIT = { email: 'audit@example.com', password: 'audit-password-1' };
let quote, other, audit;

step('the admin sets up a role without 报价单, the person 外审 and a flow on one quote', async () => {
  const quotes = (await api.get('/tables/报价单')).body;
  assert.equal((await api.post('/tables/报价单/fields', { name: '有效期至', type: 'date' })).status, 201);
  const role = await api.post('/roles', { name: '外部审计', tables: { [quotes.id]: { actions: [], read: { kind: 'all' }, change: { kind: 'all' } } } });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const user = await api.post('/users', { ...AUDIT, name: '外审', roles: [role.body.id] });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const customer = (await api.records('客户', { limit: 1 })).items[0];
  const yesterday = new Date(Date.now() - 36 * 3600 * 1000).toISOString().slice(0, 10);
  const made = async (amount) => {
    const res = await api.post('/tables/报价单/records', { 客户: customer.id, 报价金额: amount, 报价说明: '外审样例', 有效期至: yesterday });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  quote = await made(88000);
  other = await made(99000);
  const flow = await api.post('/flows', {
    table: '报价单', name: '外审流程', enabled: true,
    nodes: [
      { id: 'audit', type: 'approve', name: '外审审批', who: { users: [user.body.id] }, fields: { 报价金额: 'hidden' },
        limit: { field: '有效期至', onExpiry: 'remind' } },
      { id: 'end', type: 'end', name: '结束' },
    ],
  });
  assert.equal(flow.status, 201, JSON.stringify(flow.body));
  assert.equal((await api.post(`/flows/${flow.body.id}/publish`)).status, 200);
  assert.equal((await api.post(`/flows/${flow.body.id}/start`, { record: quote.id })).status, 201);
  audit = await apiClient(server.url, AUDIT);
});

const row = () => page.locator('.todo-table tr', { has: page.getByTestId(`todo-row-${quote['报价单号']}`) });

step('外审 sees the quote in 待我处理, overdue in red, and opens the node\'s fields of it', async () => {
  await login(page, server.url, AUDIT);
  await page.goto(`${server.url}/todo`);
  await row().waitFor();
  const due = row().getByTestId('flow-due');
  assert.equal(await due.getAttribute('data-overdue'), '1');
  assert.match(await text(due), /已超时/);
  assert.equal(await due.evaluate((el) => getComputedStyle(el).color), await page.evaluate(() => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--el-color-danger)';
    document.body.append(probe);
    const c = getComputedStyle(probe).color;
    probe.remove();
    return c;
  }));
  await row().click();
  const panel = page.getByTestId('task-panel');
  await panel.getByTestId('task-approve').waitFor();
  assert.equal(await text(panel.getByTestId('task-record-title')), quote['报价单号']);
  await panel.getByTestId('task-field-报价说明').waitFor();
  assert.equal(await panel.getByTestId('task-field-报价金额').count(), 0, 'the node hides 报价金额');
  assert.match(await text(panel.getByTestId('task-waited')), /已等待/);
  assert.equal(await panel.locator('.tp-head [data-testid="flow-due"]').getAttribute('data-overdue'), '1');
  assert.equal(await panel.getByTestId('flow-node-外审审批').getAttribute('data-current'), '1');
  assert.equal(await panel.getByTestId('flow-node-外审审批').getByTestId('flow-due').getAttribute('data-overdue'), '1');
});

step('the records API still refuses 外审 the quote, another one and the list', async () => {
  for (const id of [quote.id, other.id]) {
    const res = await audit.get(`/tables/报价单/records/${id}`);
    assert.ok(res.status === 403 || res.status === 404, `record ${id}: ${res.status}`);
  }
  const list = await audit.get('/tables/报价单/records');
  assert.ok(list.status === 403 || (list.status === 200 && list.body.items.length === 0), `the list: ${list.status}`);
  const inst = (await audit.get('/tasks?box=todo')).body.items[0];
  const data = (await audit.get(`/instances/${inst.instanceId}`)).body.data;
  assert.equal(data['报价说明'], '外审样例');
  assert.ok(!('报价金额' in data), 'the instance answers the hidden field');
});

step('after 同意, 我已处理 still shows the quote, read-only', async () => {
  const panel = page.getByTestId('task-panel');
  await panel.getByTestId('task-approve').click();
  await waitUntil(async () => (await text(panel.getByTestId('flow-state'))) === '已通过', { message: 'approved' });
  await page.keyboard.press('Escape');
  await page.getByTestId('todo-tab-done').click();
  await row().click();
  await panel.getByTestId('task-field-报价说明').waitFor();
  assert.equal(await panel.getByTestId('task-field-报价说明').getAttribute('data-perm'), 'read');
  assert.equal(await panel.getByTestId('task-field-报价金额').count(), 0);
  assert.equal(await panel.getByTestId('task-approve').count(), 0);
  await page.keyboard.press('Escape');
});

step('on a phone the cards of 待我处理 show the due time', async () => {
  const flow = (await api.get('/flows?table=报价单')).body.items.find((f) => f.name === '外审流程');
  assert.equal((await api.post(`/flows/${flow.id}/start`, { record: other.id })).status, 201);
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${server.url}/todo`);
  const card = page.getByTestId(`todo-row-${other['报价单号']}`); // the card itself
  await card.waitFor();
  assert.equal(await card.getByTestId('flow-due').getAttribute('data-overdue'), '1');
});

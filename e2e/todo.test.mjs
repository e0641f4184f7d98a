// 待办中心 on the demo: the admin publishes a two-step flow on 客户 through the API (销售总监 张伟,
// then 财务总监 周敏); 李娜 starts it from her customer's page; 张伟 sees the count on the
// badge and on his home page, approves one from the to-do center with a comment, rejects
// another (the comment the node requires asked for first), and approves two at once while a
// third, approved meanwhile elsewhere, fails saying who did it; 李娜's record page shows the
// timeline with the comment and the current node marked.
import assert from 'node:assert/strict';
import { session, newPage, login, apiClient, steps, waitUntil, text, untilText } from './lib.mjs';

let server, browser, page, api;
let current; // the page a failed step's screenshot shows
const step = steps('todo', () => current);
session(['--demo'], {}, (s) => {
  ({ server, browser, page, api } = s);
  current = page;
});

const demo = (name) => ({ email: `${name}@demo.tierbase`, password: 'tierbase-demo' });
const FLOW = '客户升级审批';
let customers, table, lina, zhang, zhangwei; // zhangwei: 张伟's page
let doneBefore; // what 张伟 had dealt with before this flow
const names = [];

step('the admin publishes a flow on 客户 through the API', async () => {
  const users = (await api.get('/users')).body.items;
  const id = (email) => users.find((u) => u.email === email).id;
  customers = (await api.get('/tables/客户')).body;
  table = customers.id;
  const made = await api.post('/flows', {
    table: '客户', name: FLOW, enabled: true,
    nodes: [
      { id: 'director', type: 'approve', name: '总监审批', who: { users: [id('zhangwei@demo.tierbase')] }, commentOnReject: true },
      { id: 'finance', type: 'approve', name: '财务审批', who: { users: [id('zhoumin@demo.tierbase')] } },
      { id: 'end', type: 'end', name: '结束' },
    ],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal((await api.post(`/flows/${made.body.id}/publish`)).status, 200);
  lina = await apiClient(server.url, demo('lina'));
  zhang = await apiClient(server.url, demo('zhangwei'));
  // The demo's quotes wait for 张伟 too: he deals with them first, so the counts below are this flow's.
  for (const it of (await zhang.get('/tasks?box=todo')).body.items) {
    assert.equal((await zhang.post(`/tasks/${it.taskId}/approve`, {})).status, 200);
  }
  doneBefore = (await zhang.get('/tasks?box=done')).body.items.length;
  const mine = await lina.records('客户', { limit: 5, sort: 'id' });
  assert.ok(mine.items.length === 5, `李娜 has ${mine.items.length} customers`);
  for (const r of mine.items) names.push({ id: r.id, name: r['客户名称'] });
  for (const r of names.slice(1)) {
    const res = await lina.post(`/flows/${made.body.id}/start`, { record: r.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
});

step('李娜 starts it from her customer\'s page; the diagram marks 总监审批', async () => {
  await login(page, server.url, demo('lina'));
  await page.goto(`${server.url}/t/${table}?record=${names[0].id}`);
  const flows = page.getByTestId('record-flows');
  await flows.getByTestId('record-flows-empty').waitFor();
  await page.getByTestId('flow-start-open').click();
  await page.getByTestId('flow-start-text').waitFor(); // the plain-language summary of the only flow
  assert.match(await text(page.getByTestId('flow-start-text')), /总监审批/);
  await page.getByTestId('flow-start-submit').click();
  const inst = flows.getByTestId(`record-flow-${FLOW}`);
  await inst.waitFor();
  assert.equal(await inst.getAttribute('data-state'), 'running');
  assert.equal(await inst.getByTestId('flow-node-总监审批').getAttribute('data-current'), '1');
  assert.equal(await inst.getByTestId('flow-node-财务审批').getAttribute('data-current'), '0');
  assert.equal(await text(inst.getByTestId('flow-state')), '审批中');
});

step('张伟 sees 5 on the badge and his flow tasks on the home page; one opens in the to-do center', async () => {
  current = zhangwei = await newPage(browser);
  await login(zhangwei, server.url, demo('zhangwei'));
  await untilText(zhangwei.getByTestId('topbar-todo-count').locator('sup'), '5');
  await untilText(zhangwei.getByTestId('nav-todo-count').locator('sup'), '5');
  const first = zhangwei.locator('[data-testid^="home-flow-task-"]').first();
  await first.waitFor();
  assert.match(await text(first), new RegExp(`${FLOW} · `));
  await first.click();
  await zhangwei.getByTestId('task-panel').waitFor();
  await zhangwei.getByTestId('task-approve').waitFor();
  await zhangwei.keyboard.press('Escape');
});

const row = (name) => zhangwei.locator('.todo-table tr', { has: zhangwei.getByTestId(`todo-row-${name}`) });

step('张伟 approves 李娜\'s first customer from the to-do center with a comment', async () => {
  await zhangwei.goto(`${server.url}/todo`);
  await zhangwei.getByTestId('todo-center').waitFor();
  await untilText(zhangwei.getByTestId('todo-count').locator('sup'), '5');
  await row(names[0].name).click();
  const panel = zhangwei.getByTestId('task-panel');
  await untilText(panel.getByTestId('task-record-title'), names[0].name);
  await panel.getByTestId('task-record').getByTestId('task-field-客户名称').waitFor();
  await panel.getByTestId('task-comment').fill('同意，客户资质良好');
  await panel.getByTestId('task-approve').click();
  await untilText(zhangwei.getByTestId('topbar-todo-count').locator('sup'), '4');
  // The task's own timeline now shows the approval and the flow waiting at 财务审批.
  await waitUntil(async () => (await panel.getByTestId('flow-node-财务审批').getAttribute('data-current')) === '1', { message: '财务审批 current' });
  await zhangwei.keyboard.press('Escape');
  await waitUntil(async () => (await row(names[0].name).count()) === 0, { message: 'the approved task leaves 待我处理' });
});

step('rejecting needs the comment the node requires; then it is rejected', async () => {
  await row(names[1].name).click();
  const panel = zhangwei.getByTestId('task-panel');
  await untilText(panel.getByTestId('task-record-title'), names[1].name);
  await panel.getByTestId('task-reject').click();
  await untilText(zhangwei.getByTestId('task-error').locator('.el-alert__title'), '拒绝需要填写审批意见');
  await panel.getByTestId('task-comment').fill('预算不足');
  await panel.getByTestId('task-reject').click();
  await waitUntil(async () => (await text(panel.getByTestId('flow-state'))) === '已拒绝', { message: 'rejected' });
  await zhangwei.keyboard.press('Escape');
  await untilText(zhangwei.getByTestId('topbar-todo-count').locator('sup'), '3');
});

step('batch 同意 of two succeeds; a third, approved elsewhere meanwhile, fails saying who did it', async () => {
  await waitUntil(async () => (await row(names[4].name).count()) === 1, { message: 'the list' });
  for (const n of names.slice(2)) await row(n.name).locator('.el-checkbox').click();
  await untilText(zhangwei.getByTestId('todo-batch-approve'), '批量同意（3）');
  // Approved elsewhere (another tab, the phone) after the list was read.
  const items = (await zhang.get('/tasks?box=todo')).body.items;
  const other = items.find((it) => it.record === names[4].id);
  assert.equal((await zhang.post(`/tasks/${other.taskId}/approve`, {})).status, 200);
  await zhangwei.getByTestId('todo-batch-approve').click();
  const result = zhangwei.getByTestId('todo-batch-result');
  await waitUntil(async () => (await result.getByTestId('todo-batch-row').count()) === 3, { message: 'three results' });
  const lines = await result.getByTestId('todo-batch-row').allInnerTexts();
  assert.equal(lines.filter((l) => l.includes('已同意')).length, 2, lines.join('\n'));
  const failed = lines.find((l) => l.includes(names[4].name));
  assert.match(failed, /张伟.*同意/, failed);
  await zhangwei.keyboard.press('Escape');
  await zhangwei.getByTestId('topbar-todo-count').locator('sup').waitFor({ state: 'hidden' });
  await zhangwei.getByTestId('todo-tab-done').click();
  await waitUntil(async () => (await zhangwei.locator('[data-testid^="todo-row-"]').count()) === doneBefore + 5, { message: '5 more in 我已处理' });
});

step('on a phone the list is cards and the task\'s actions sit in a bar at the bottom', async () => {
  await zhangwei.setViewportSize({ width: 390, height: 844 });
  await zhangwei.goto(`${server.url}/todo?box=done`);
  const cards = zhangwei.locator('.todo-card');
  await waitUntil(async () => (await cards.count()) === doneBefore + 5, { message: 'a card each' });
  assert.equal(await zhangwei.locator('.todo-table').count(), 0);
  await cards.first().click();
  const bar = zhangwei.getByTestId('task-actions');
  await bar.waitFor();
  const box = await bar.boundingBox();
  assert.ok(Math.abs(box.y + box.height - 844) < 2, `the bar ends at ${box.y + box.height}`);
  await zhangwei.setViewportSize({ width: 1440, height: 900 });
});

step('李娜\'s record page shows the timeline with the comment and 财务审批 marked', async () => {
  current = page;
  await page.goto(`${server.url}/t/${table}?record=${names[0].id}`);
  const inst = page.getByTestId('record-flows').getByTestId(`record-flow-${FLOW}`);
  await inst.waitFor();
  assert.equal(await inst.getByTestId('flow-node-财务审批').getAttribute('data-current'), '1');
  assert.equal(await inst.getByTestId('flow-node-总监审批').getAttribute('data-current'), '0');
  const events = await inst.getByTestId('flow-event').allInnerTexts();
  const approved = events.find((e) => e.includes('张伟') && e.includes('同意'));
  assert.ok(approved && approved.includes('同意，客户资质良好') && approved.includes('总监审批'), events.join('\n'));
  await page.goto(`${server.url}/t/${table}?record=${names[1].id}`);
  const rejected = page.getByTestId('record-flows').getByTestId(`record-flow-${FLOW}`);
  await waitUntil(async () => (await rejected.getAttribute('data-state')) === 'rejected', { message: 'the rejected one' });
  assert.match(await text(rejected), /预算不足/);
});

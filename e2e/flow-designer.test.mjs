// The flow designer (流程设计, S6's 报价审批): on a --demo server the admin opens the 流程 of
// 报价单 from the table page, creates a flow and builds it in the designer — an approval by
// 张伟, then a condition branch 报价金额 > 100000 holding a second approval, else 默认. Saving
// with the second approval left without approver shows the server's problem on that node
// (a red mark on its card, the message in its drawer); once 周敏 is picked it saves, 发布
// shows the plain-language summary first, and the list says 已发布 v1. The definition saved
// is the one built, read back through the API.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, waitUntil, untilText, text } from './lib.mjs';

let server, browser, page, api;
const step = steps('flow-designer', () => page);
session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const ids = {}; // node ids, read from the drawer of the node just added

// addNode clicks the "+" named key, picks type in its menu, and returns the new node's id
// (the designer opens the new node's drawer).
async function addNode(key, type) {
  await page.getByTestId(`flow-add-${key}`).click();
  await page.getByTestId('flow-add-menu').getByTestId(`flow-add-${type}`).click();
  const drawer = page.getByTestId('flow-drawer');
  await drawer.waitFor();
  return drawer.getAttribute('data-node-id');
}

async function closeDrawer() {
  await page.getByTestId('flow-drawer-done').click();
  await page.getByTestId('flow-drawer').waitFor({ state: 'detached' });
}

step('the admin opens the flows of 报价单 from its table and creates 大额报价审批', async () => {
  await login(page, server.url);
  await page.getByTestId('nav-table-报价单').click();
  await page.getByTestId('flows-open').click();
  await page.getByTestId('flows-page').waitFor();
  await page.getByTestId('flow-new').click();
  await page.getByTestId('flow-new-name').fill('大额报价审批');
  // The table of the list's filter is already picked.
  await untilText(page.getByTestId('flow-new-table').locator('.el-select__placeholder'), '报价单');
  await page.getByTestId('flow-new-create').click();
  await page.getByTestId('flow-designer').waitFor();
  await untilText(page.getByTestId('flow-title'), '大额报价审批');
  await untilText(page.getByTestId('flow-state'), '草稿');
});

step('an approval by 张伟, then a condition 报价金额 > 100000 with a second approval, else 默认', async () => {
  ids.first = await addNode('start', 'approve');
  await page.getByTestId('flow-node-name').fill('销售总监审批');
  await chooseOption(page, page.getByTestId('flow-who-users'), '张伟');
  await closeDrawer();
  await untilText(page.getByTestId(`flow-node-${ids.first}`).locator('.fn-card-body'), '张伟，或签（一人同意即可）');

  ids.cond = await addNode(`after-${ids.first}`, 'condition');
  // The new condition opens on its first branch: name it and set its condition.
  await page.getByTestId('flow-branch-name').fill('大额');
  const drawer = page.getByTestId('flow-drawer');
  await drawer.getByTestId('filter-add').click();
  await chooseOption(page, drawer.getByTestId('filter-field-0'), '报价金额');
  await chooseOption(page, drawer.getByTestId('filter-op-0'), '大于');
  await drawer.getByTestId('filter-value-0').locator('input').fill('100000');
  await closeDrawer();
  await untilText(page.getByTestId(`flow-branch-${ids.cond}-0`).locator('.fn-card-body'), '报价金额 大于 100000');
  await untilText(page.getByTestId(`flow-branch-${ids.cond}-1`).locator('.fn-card-name'), '默认');

  ids.second = await addNode(`branch-${ids.cond}-0`, 'approve');
  await page.getByTestId('flow-node-name').fill('财务总监审批');
  await closeDrawer();
});

step('saving with the second approval left without approver marks that node with the server\'s problem', async () => {
  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname.startsWith('/api/flows/'));
  await page.getByTestId('flow-save').click();
  assert.equal((await put).status(), 400);
  await page.getByTestId(`flow-node-problem-${ids.second}`).waitFor();
  assert.equal(await page.getByTestId(`flow-node-problem-${ids.first}`).count(), 0);
  await page.getByTestId(`flow-node-${ids.second}`).click();
  await untilText(page.getByTestId('flow-drawer-problem').locator('.el-alert__title'), '审批节点「财务总监审批」没有设置审批人');

  await chooseOption(page, page.getByTestId('flow-who-users'), '周敏');
  await closeDrawer();
  const fixed = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname.startsWith('/api/flows/'));
  await page.getByTestId('flow-save').click();
  assert.equal((await fixed).status(), 200);
  await waitUntil(async () => (await page.getByTestId(`flow-node-problem-${ids.second}`).count()) === 0, { message: 'the mark to go' });
});

step('发布 shows the summary first; the list then says 已发布 v1', async () => {
  await page.getByTestId('flow-publish').click();
  const summary = page.getByTestId('flow-publish-text');
  await summary.waitFor();
  const said = await text(summary);
  for (const part of ['审批「销售总监审批」：张伟，或签', '分支「大额」：如果 报价金额 大于 100000', '审批「财务总监审批」：周敏', '默认', '结束']) {
    assert.ok(said.includes(part), `the summary says "${part}": ${said}`);
  }
  await page.getByTestId('flow-publish-confirm').click();
  await untilText(page.getByTestId('flow-state'), '已发布 v1');
  await page.getByTestId('flow-back').click();
  await untilText(page.getByTestId('flow-state-大额报价审批'), '已发布 v1');
  assert.match(await text(page.getByTestId('flow-text-大额报价审批')), /审批「销售总监审批」：张伟/);
});

step('the saved definition is the one built', async () => {
  const users = (await api.get('/users')).body.items;
  const idOf = (name) => users.find((u) => u.name === name).id;
  const quotes = (await api.get('/tables/' + encodeURIComponent('报价单'))).body;
  const amount = quotes.fields.find((f) => f.name === '报价金额').id;
  const flows = (await api.get('/flows?table=' + encodeURIComponent('报价单'))).body.items;
  const f = flows.find((x) => x.name === '大额报价审批');
  assert.equal(f.version, 1);
  assert.equal(f.changed, false);
  const [first, cond, end] = f.nodes;
  assert.equal(f.nodes.length, 3);
  assert.deepEqual([first.id, first.type, first.name, first.mode, first.who.users], [ids.first, 'approve', '销售总监审批', 'or', [idOf('张伟')]]);
  assert.deepEqual([cond.id, cond.type, end.type], [ids.cond, 'condition', 'end']);
  const [big, other] = cond.branches;
  assert.equal(cond.branches.length, 2);
  assert.equal(big.name, '大额');
  assert.deepEqual(big.when, { and: [{ field: amount, op: 'gt', value: 100000 }] });
  assert.deepEqual(big.nodes.map((n) => [n.id, n.type, n.name, n.who.users]), [[ids.second, 'approve', '财务总监审批', [idOf('周敏')]]]);
  assert.deepEqual([other.default, other.nodes], [true, []]);
});

step('on a phone the tree scrolls and the drawer takes the whole width; a card opens from the keyboard', async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(server.url + '/flows');
  await page.getByTestId('flow-open-大额报价审批').click();
  const canvas = page.getByTestId('flow-canvas');
  await page.getByTestId(`flow-node-${ids.second}`).waitFor();
  assert.ok(await canvas.evaluate((c) => c.scrollWidth > c.clientWidth && c.scrollLeft > 0), 'the tree is wider than the phone and opens scrolled to its middle');
  await page.getByTestId(`flow-node-${ids.first}`).focus();
  await page.keyboard.press('Enter');
  const drawer = page.getByTestId('flow-drawer');
  await drawer.waitFor();
  assert.equal(await drawer.getAttribute('data-node-id'), ids.first);
  await waitUntil(async () => (await page.locator('.el-drawer').boundingBox())?.width === 390, { message: 'a full-width drawer' });
});

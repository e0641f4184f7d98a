// 视图、看板和批量操作: the admin hides a column, groups the 客户 by 客户等级 with the sum of
// 累计消费金额 and saves that as a view, whose address opens it again; a kanban by 客户等级
// shows each column's count and sum, a card dragged to another column is saved, and one the
// field refuses comes back with the reason; ticking rows, then all matching, edits a field of
// every record in one go. On a 390×844 phone the kanban scrolls sideways and a card moves
// with 移到….
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

let server, browser, page, api;
const step = steps('views', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

let table; // the 客户 table
let viewURL = '';
const board = async () => {
  const res = await api.get(`/tables/${table.id}/board?field=客户等级&sum=累计消费金额`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return Object.fromEntries(res.body.columns.map((c) => [c.value ?? '_', c]));
};
const amountId = () => table.fields.find((f) => f.name === '累计消费金额').id;

step('a 客户 table with 30 customers in 等级 A, B and C; C is then no longer an option', async () => {
  const res = await api.post('/tables', {
    name: '客户',
    fields: [
      { name: '客户名称', type: 'text', required: true },
      { name: '客户等级', type: 'select', options: ['A', 'B', 'C'] },
      { name: '累计消费金额', type: 'money' },
      { name: '电话', type: 'text' },
    ],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  table = res.body;
  const items = Array.from({ length: 30 }, (_, i) => ({ 客户名称: `客户${i + 1}`, 客户等级: 'ABC'[i % 3], 累计消费金额: (i + 1) * 100, 电话: `1380000${String(i).padStart(4, '0')}` }));
  assert.equal((await api.post(`/tables/${table.id}/records/batch`, { items })).status, 200);
  const grade = table.fields.find((f) => f.name === '客户等级');
  const changed = await api.patch(`/tables/${table.id}/fields/${grade.id}`, { options: ['A', 'B'] });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  table = (await api.get(`/tables/${table.id}`)).body;
});

step('a view hides 电话 and groups by 客户等级 with subtotals; its address opens it again', async () => {
  await login(page, server.url);
  await page.goto(`${server.url}/t/${table.id}`);
  await page.getByTestId('header-电话').waitFor();
  await page.getByTestId('view-settings').click();
  const panel = page.getByTestId('view-settings-panel');
  await panel.getByTestId('view-col-shown-电话').click();
  await chooseOption(page, panel.getByTestId('view-group'), '客户等级');
  await chooseOption(page, panel.getByTestId('view-sum'), '累计消费金额');
  await page.getByTestId('header-电话').waitFor({ state: 'detached' });
  // A: 客户1, 4, … 28 → (1+4+…+28)·100 = 14,500
  await waitUntil(async () => /A\s*10\s*¥?14,500/.test(await text(page.getByTestId('group-A'))), { message: 'the subtotal of A' });
  await page.getByTestId('views-open').click();
  await page.getByTestId('view-save-new').click();
  await page.getByTestId('view-name-input').fill('按等级');
  await page.getByTestId('view-name-save').click();
  await untilText(page.getByTestId('view-name'), '按等级');
  await waitUntil(() => /[?&]view=viw/.test(page.url()), { message: 'the view in the address' });
  viewURL = page.url();

  await page.goto(`${server.url}/t/${table.id}`);
  await page.getByTestId('views-open').click();
  await page.getByTestId('view-none').click();
  await page.getByTestId('header-电话').waitFor();
  await page.goto(viewURL);
  await untilText(page.getByTestId('view-name'), '按等级');
  await page.getByTestId('group-A').waitFor();
  assert.equal(await page.getByTestId('header-电话').count(), 0);
  assert.equal(await page.getByTestId('header-客户名称').evaluate((th) => getComputedStyle(th).position), 'sticky');
});

step('the kanban by 客户等级 counts and sums each column; a dragged card is saved', async () => {
  await page.getByTestId('view-settings').click();
  await page.getByTestId('view-kind-kanban').click();
  await page.getByTestId('kanban').waitFor();
  await page.getByTestId('view-settings').click(); // closes the settings
  const cols = await board();
  for (const v of ['A', 'B', 'C']) {
    await untilText(page.getByTestId(`kanban-count-${v}`), String(cols[v].count));
    assert.match(await text(page.getByTestId(`kanban-sum-${v}`)), new RegExp(cols[v].sums[amountId()].toLocaleString('en-US')));
  }
  const card = cols.A.items[0];
  await page.getByTestId(`kanban-card-${card.id}`).dragTo(page.getByTestId('kanban-col-B'));
  await waitUntil(async () => (await api.get(`/tables/${table.id}/records/${card.id}`)).body.客户等级 === 'B', { message: 'the drag to be saved' });
  await untilText(page.getByTestId('kanban-count-B'), String(cols.B.count + 1));
  await untilText(page.getByTestId('kanban-count-A'), String(cols.A.count - 1));
  const history = (await api.get(`/tables/${table.id}/records/${card.id}/history`)).body.items;
  assert.equal(history[0].action, 'update');
});

step('a card dragged where the field refuses it comes back with the reason', async () => {
  const cols = await board();
  const card = cols.A.items[0];
  await page.getByTestId(`kanban-card-${card.id}`).dragTo(page.getByTestId('kanban-col-C'));
  const error = page.getByTestId(`kanban-card-${card.id}`).getByTestId('kanban-card-error');
  await error.waitFor();
  assert.match(await text(error), /「C」不是可选项/);
  assert.equal(await page.getByTestId('kanban-col-A').getByTestId(`kanban-card-${card.id}`).count(), 1);
  await untilText(page.getByTestId('kanban-count-A'), String(cols.A.count));
  assert.equal((await api.get(`/tables/${table.id}/records/${card.id}`)).body.客户等级, 'A');
});

step('ticked rows, then all matching ones, get a field in one bulk edit', async () => {
  await page.getByTestId('views-open').click();
  await page.getByTestId('view-none').click();
  await page.getByTestId('grid').waitFor();
  const first = (await api.records(table.id, { sort: 'id', limit: 2 })).items;
  await page.getByTestId(`row-check-${first[0].id}`).check();
  await page.getByTestId(`row-check-${first[1].id}`).check();
  await untilText(page.getByTestId('bulk-count'), '已选 2 条');
  await page.getByTestId('bulk-all').click();
  await untilText(page.getByTestId('bulk-count'), '已选符合条件的全部 30 条');
  await page.getByTestId('bulk-edit').click();
  await chooseOption(page, page.getByTestId('bulk-field'), '累计消费金额');
  const value = page.getByTestId('bulk-value');
  await ((await value.evaluate((e) => e.tagName)) === 'INPUT' ? value : value.locator('input')).fill('999');
  await page.getByTestId('bulk-apply').click();
  await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
  const all = (await api.records(table.id, { limit: 100 })).items;
  assert.equal(all.filter((r) => r.累计消费金额 === 999).length, 30);
});

step('on a 390×844 phone the kanban scrolls sideways and a card moves with 移到…', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await ctx.newPage();
  phone.setDefaultTimeout(15_000);
  try {
    await login(phone, server.url);
    await phone.goto(viewURL);
    await phone.getByTestId('view-settings').click();
    await phone.getByTestId('view-kind-kanban').click();
    await phone.getByTestId('view-settings').click();
    const kb = phone.getByTestId('kanban');
    await kb.waitFor();
    await phone.getByTestId('kanban-count-B').waitFor();
    assert.ok(await kb.evaluate((el) => el.scrollWidth > el.clientWidth), 'the board scrolls sideways');
    const card = (await board()).B.items[0];
    await phone.getByTestId(`kanban-move-${card.id}`).click();
    await phone.getByTestId(`kanban-move-${card.id}-A`).click();
    await waitUntil(async () => (await api.get(`/tables/${table.id}/records/${card.id}`)).body.客户等级 === 'A', { message: 'the move to be saved' });
  } finally {
    await ctx.close();
  }
});

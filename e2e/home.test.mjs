// The workbench (工作台) on `serve --demo`: a new member sees empty states that say what to do;
// the demo's 张伟, on a phone-sized page, sees his open to-dos (overdue marked), his customers per
// 客户等级 (each count opens the grid filtered to exactly those), and a rule firing for him shows
// on the bell within 2 s without a reload, its amount written as ¥12,345.67; a record he opens
// is on his recently opened list, also on another device. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, text, untilText, apiClient, newPage } from './lib.mjs';

const ZHANG = { email: 'zhangwei@demo.tierbase', password: 'tierbase-demo' };
const NEWBIE = { email: 'newbie@example.com', password: 'newbie-password-1' };

let server, browser, page, api;
let zhang, zhangAPI, phone, todos;
let streams = 0; // notification streams the phone's page opened
const step = steps('home', () => phone || page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

// The yuan amount as the UI writes it.
const money = (n) => '¥' + n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

// A date-time n days from now, as the API takes it.
const daysFromNow = (n) => new Date(Date.now() + n * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

step('a new member sees empty states that say what to do', async () => {
  const res = await api.post('/users', { ...NEWBIE, name: '新同事', role: 'member' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await login(page, server.url, NEWBIE);
  await page.getByTestId('home').waitFor();
  await untilText(page.getByTestId('home-tasks-empty'), '没有未完成的待办。规则会为你创建跟进任务，你也可以在待办表中自己新建。');
  await untilText(page.getByTestId('home-notices-empty'), '没有未读通知。规则和数据预警的提醒会出现在这里和右上角的铃铛中。');
  await untilText(page.getByTestId('home-grades-empty'), '你名下还没有客户。在「客户」表中新建或导入记录并把自己设为负责人，这里会按等级统计。');
  await untilText(page.getByTestId('home-recent-empty'), '你打开过的记录会出现在这里，换一台设备登录也能接着处理。');
  // The tables are still below.
  await page.getByTestId('home-tables-card').getByText('待办任务').waitFor();
});

step("张伟's workbench on a phone: his open to-dos, overdue first, and his customers per grade", async () => {
  zhangAPI = await apiClient(server.url, ZHANG);
  zhang = (await zhangAPI.get('/auth/me')).body;
  todos = [];
  for (const [title, due, status] of [['回访华东区大客户', daysFromNow(-1), '待处理'], ['准备季度报价', daysFromNow(2), '进行中'], ['已经做完的事', daysFromNow(-3), '已完成']]) {
    const res = await api.post(`/tables/${encodeURIComponent('待办任务')}/records`, { 任务标题: title, 截止时间: due, 状态: status, 负责人: zhang.id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    todos.push(res.body);
  }
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  phone = await ctx.newPage();
  phone.setDefaultTimeout(15_000);
  phone.on('response', (r) => {
    if (r.url().endsWith('/api/notifications/stream') && r.status() === 200) streams++;
  });
  await login(phone, server.url, ZHANG);
  await phone.getByTestId('home').waitFor();
  const tasks = phone.getByTestId('home-tasks');
  await tasks.getByTestId(`home-task-${todos[0].id}`).waitFor();
  const rows = tasks.locator('[data-testid^="home-task-"][href]');
  assert.equal(await rows.count(), 2);
  assert.match(await text(rows.nth(0)), /^回访华东区大客户 已逾期 截止 /);
  assert.match(await text(rows.nth(1)), /^准备季度报价 截止 .* 进行中$/);
  assert.equal(await phone.getByTestId('home-task-overdue').count(), 1);

  // The counts per grade are the API's, and each opens exactly its records.
  const board = (await zhangAPI.get('/workbench')).body;
  assert.ok(board.grades.total > 0, 'the demo gives 张伟 customers');
  for (const g of board.grades.items) {
    const bar = phone.getByTestId(`home-grade-${g.value || 'none'}`);
    assert.equal(await text(bar.getByTestId('home-grade-count')), String(g.count));
    const listed = await zhangAPI.records('客户', { filter: JSON.stringify(g.filter), limit: 1 });
    assert.equal(listed.total, g.count, `grade ${g.value}`);
  }
  assert.equal(await text(phone.getByTestId('home-grades-total')), String(board.grades.total));

  // Usable at 375 px: nothing is wider than the screen.
  const overflow = await phone.evaluate(() => {
    const home = document.querySelector('[data-testid=home]');
    const wide = [...home.querySelectorAll('section')].filter((s) => s.getBoundingClientRect().right > window.innerWidth + 1);
    return { scroll: home.scrollWidth > home.clientWidth + 1, wide: wide.map((s) => s.dataset.testid) };
  });
  assert.deepEqual(overflow, { scroll: false, wide: [] });

  // A grade opens the grid with that filter.
  const top = board.grades.items.find((g) => g.count > 0);
  await phone.getByTestId(`home-grade-${top.value || 'none'}`).click();
  await waitUntil(() => new URL(phone.url()).searchParams.get('filter') === JSON.stringify(top.filter), { message: 'the filtered grid' });
  await phone.goBack();
  await phone.getByTestId('home-grades').waitFor();
});

step('a rule fires for 张伟: the bell shows it within 2 s without a reload, the amount formatted', async () => {
  const rule = {
    name: '备注更新提醒', table: '客户', enabled: true,
    triggers: [{ on: 'changed', fields: ['备注'] }],
    actions: [{ type: 'notify', owner: true, title: '客户「{客户名称}」的备注已更新', body: '累计消费 {累计消费金额}' }],
  };
  const saved = await api.post('/rules', rule);
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  const mine = await zhangAPI.records('客户', { filter: JSON.stringify({ and: [{ field: '累计消费金额', op: 'gt', value: 1000 }, { field: '负责人', op: 'eq', value: '$me' }] }), limit: 1 });
  const customer = mine.items[0];
  const badge = phone.getByTestId('notify-badge').locator('.el-badge__content');
  const before = (await zhangAPI.get('/notifications?unread=1')).body.unread;
  if (before) await untilText(badge, String(before));
  // Let the stream settle (the page opened it at login).
  await waitUntil(() => streams > 0, { message: 'the stream open' });

  const start = Date.now();
  const res = await api.patch(`/tables/${encodeURIComponent('客户')}/records/${customer.id}`, { 备注: '客户要求下周回电 ' + start });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await waitUntil(async () => (await badge.isVisible()) && (await text(badge)) === String(before + 1), { timeout: 2000, message: 'the bell to count the new notification within 2 s' });
  const took = Date.now() - start;
  assert.ok(took <= 2000, `the bell took ${took} ms`);

  // The workbench lists it too, with the amount as the UI writes amounts.
  const note = (await zhangAPI.get('/notifications?unread=1&limit=1')).body.items[0];
  assert.equal(note.body, '累计消费 ' + money(customer.累计消费金额));
  const item = phone.getByTestId(`home-notice-${note.id}`);
  await item.waitFor();
  assert.match(await text(item), new RegExp(`^客户「.+」的备注已更新 累计消费 ¥[\\d,]+\\.\\d{2} `));
  assert.ok((await text(item)).includes(money(customer.累计消费金额)));
});

step('a record 张伟 opens is on his recently opened list, on another device too', async () => {
  await phone.getByTestId(`home-task-${todos[1].id}`).click();
  await phone.getByTestId('record-form').waitFor();
  await waitUntil(async () => (await zhangAPI.get('/workbench')).body.recent.some((r) => r.id === todos[1].id), { message: 'the opened record on the server' });
  await phone.goto(server.url + '/');
  const row = phone.getByTestId(`home-recent-${todos[1].id}`);
  await row.waitFor();
  assert.match(await text(row), /^准备季度报价 .+ 待办任务$/);

  const desk = await newPage(browser);
  await login(desk, server.url, ZHANG);
  const recent = desk.getByTestId('home-recent').locator('[data-testid^="home-recent-"][href]');
  await waitUntil(async () => (await recent.count()) > 0, { message: 'the recent list on the other device' });
  assert.match(await text(recent.first()), /^准备季度报价 /);
  await desk.context().close();
});

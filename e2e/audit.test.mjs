// The operation log (操作日志): the admin edits a record in its form, opens 系统管理 → 操作日志
// and sees the change (客户名称 before → after) with who did it, filters by table, loads more,
// and finds a failed sign-in with the email tried; a member is kept out; the page fits a phone.
import assert from 'node:assert/strict';
import { session, login, steps, text, untilText, chooseOption, apiClient, newPage, waitUntil } from './lib.mjs';

let server, browser, page, api;
let customer, customers, orders;
const step = steps('audit', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

const entries = () => page.getByTestId('audit-entry');

step('the admin edits a record in its form', async () => {
  let res = await api.post('/tables', { name: '客户', fields: [{ name: '客户名称', type: 'text' }, { name: '累计消费金额', type: 'money' }] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  customers = res.body;
  res = await api.post('/tables', { name: '订单', fields: [{ name: '订单号', type: 'text' }] });
  orders = res.body;
  for (let i = 1; i <= 60; i++) await api.post(`/tables/${orders.id}/records`, { 订单号: `D${i}` });
  customer = (await api.post(`/tables/${customers.id}/records`, { 客户名称: '北京星辰', 累计消费金额: 1200 })).body;

  await login(page, server.url);
  await page.goto(`${server.url}/t/${customers.id}?record=${customer.id}`);
  await page.getByTestId('record-form').waitFor();
  const name = page.getByTestId('form-field-客户名称').locator('input').first();
  await name.fill('北京星辰科技');
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
});

step('操作日志 under 系统管理 shows the change, before → after, and who made it', async () => {
  await page.getByTestId('nav-system').click();
  await page.getByTestId('nav-audit').click();
  await page.getByTestId('audit-page').waitFor();
  const first = entries().first();
  await untilText(first.getByTestId('audit-entry-action'), '修改记录');
  assert.equal(await text(first.getByTestId('audit-change')), '客户名称: 北京星辰 → 北京星辰科技');
  assert.equal(await text(first.getByTestId('audit-entry-record')), `客户 #${customer.id}`);
  const me = (await api.get('/auth/me')).body;
  assert.equal(await text(first.getByTestId('audit-entry-user')), me.name);
  // 60 orders and more: the first page has 50, 加载更多 the rest.
  assert.equal(await entries().count(), 50);
  await page.getByTestId('audit-more').click();
  await waitUntil(async () => (await entries().count()) > 50, { message: 'the second page' });
});

step('filtering by table shows only that table; the record link opens the record', async () => {
  await chooseOption(page, page.getByTestId('audit-table'), '客户');
  await waitUntil(async () => (await entries().count()) === 2, { message: "客户's two entries" });
  assert.equal(await page.getByTestId('audit-more').count(), 0);
  assert.deepEqual(await entries().getByTestId('audit-entry-action').allInnerTexts(), ['修改记录', '新增记录']);
  await chooseOption(page, page.getByTestId('audit-action'), '新增记录');
  await waitUntil(async () => (await entries().count()) === 1, { message: 'the creation only' });
  assert.equal(await text(entries().first().getByTestId('audit-change').first()), '客户名称: （空） → 北京星辰');
  await entries().first().getByTestId('audit-entry-record').click();
  await page.getByTestId('record-form').waitFor();
  assert.equal(await page.getByTestId('form-field-客户名称').locator('input').first().inputValue(), '北京星辰科技');
});

step('a failed sign-in is logged with the email tried, never the password', async () => {
  const res = await fetch(server.url + '/api/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-9' }) });
  assert.equal(res.status, 401);
  await page.goto(`${server.url}/admin/audit`);
  await chooseOption(page, page.getByTestId('audit-action'), '登录失败');
  await waitUntil(async () => (await entries().count()) === 1, { message: 'the failed sign-in' });
  assert.match(await text(entries().first().getByTestId('audit-entry-detail')), /^尝试的邮箱：nobody@example\.com；客户端地址：127\.0\.0\.1$/);
  const raw = JSON.stringify((await api.get('/audit?limit=1000')).body);
  assert.ok(!raw.includes('not-the-password-9'));
});

step('a member sees no 系统管理 and cannot open the log', async () => {
  const res = await api.post('/users', { email: 'li@example.com', password: 'member-password-1', name: '小李', role: 'member' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const li = await apiClient(server.url, { email: 'li@example.com', password: 'member-password-1' });
  assert.equal((await li.get('/audit')).status, 403);
  const other = await newPage(browser);
  await login(other, server.url, { email: 'li@example.com', password: 'member-password-1' });
  assert.equal(await other.getByTestId('nav-system').count(), 0);
  await other.goto(`${server.url}/admin/audit`);
  await other.getByTestId('sidebar').waitFor();
  assert.equal(await other.getByTestId('audit-page').count(), 0);
  await other.context().close();
});

step('the log fits a 390 px phone', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await ctx.newPage();
  phone.setDefaultTimeout(15_000);
  await login(phone, server.url);
  await phone.goto(`${server.url}/admin/audit`);
  await phone.getByTestId('audit-entry').first().waitFor();
  const wide = await phone.evaluate(() => {
    const root = document.querySelector('[data-testid=audit-page]');
    return root.scrollWidth > root.clientWidth + 1 || [...root.querySelectorAll('*')].some((e) => e.getBoundingClientRect().right > window.innerWidth + 1);
  });
  assert.equal(wide, false);
  await ctx.close();
});

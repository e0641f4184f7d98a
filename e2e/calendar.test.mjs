// 日历视图: the admin switches the 客户 table to a calendar by 下次跟进日 (a date no two 客户
// may share) and saves it as a view; each 客户 is a chip on its day of the month grid, a chip
// opens its record, one dragged to another day is saved with its history, one dragged onto a
// day another 客户 holds comes back with the reason; the next month shows its records. On a
// 390×844 phone the calendar is one week as a list of days, without sideways scrolling.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, text, untilText } from './lib.mjs';

let server, browser, page, api;
const step = steps('calendar', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

const pad = (n) => String(n).padStart(2, '0');
const now = new Date();
const day = (d, month = now.getMonth()) => {
  const at = new Date(now.getFullYear(), month, d);
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
};
const today = day(now.getDate());
// Four days of this month other than today: 华为's, 小米's, 比亚迪's, and where 华为 is dragged.
const [d1, d2, d3, d4] = [3, 6, 9, 12, 15, 18, 21].filter((d) => d !== now.getDate());
let table;
const ids = {}; // 客户名称 → id
let viewURL = '';
const dateOf = async (name) => (await api.get(`/tables/${table.id}/records/${ids[name]}`)).body.下次跟进日;

step('a 客户 table whose 下次跟进日 is unique, with 客户 on three days of this month, today and next month', async () => {
  const res = await api.post('/tables', {
    name: '客户',
    fields: [
      { name: '客户名称', type: 'text', required: true },
      { name: '下次跟进日', type: 'date', unique: true },
    ],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  table = res.body;
  const items = [
    { 客户名称: '华为', 下次跟进日: day(d1) },
    { 客户名称: '小米', 下次跟进日: day(d2) },
    { 客户名称: '比亚迪', 下次跟进日: day(d3) },
    { 客户名称: '美团', 下次跟进日: day(5, now.getMonth() + 1) },
    { 客户名称: '京东' },
    { 客户名称: '腾讯', 下次跟进日: today },
  ];
  const saved = await api.post(`/tables/${table.id}/records/batch`, { items });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  for (const r of saved.body.items) ids[r.客户名称] = r.id;
});

step('the calendar by 下次跟进日 puts each 客户 on its day; saved as a view, its address opens it again', async () => {
  await login(page, server.url);
  await page.goto(`${server.url}/t/${table.id}`);
  await page.getByTestId('grid').waitFor();
  await page.getByTestId('view-settings').click();
  await page.getByTestId('view-kind-calendar').click();
  await page.getByTestId('calendar').waitFor();
  await page.getByTestId('view-settings').click(); // closes the settings
  await untilText(page.getByTestId('calendar-title'), `${now.getFullYear()}年${now.getMonth() + 1}月`);
  for (const [name, d] of [['华为', d1], ['小米', d2], ['比亚迪', d3]]) {
    await page.getByTestId(`calendar-day-${day(d)}`).getByTestId(`calendar-chip-${ids[name]}`).waitFor();
  }
  assert.equal(await page.getByTestId(`calendar-chip-${ids['京东']}`).count(), 0);
  await page.getByTestId('views-open').click();
  await page.getByTestId('view-save-new').click();
  await page.getByTestId('view-name-input').fill('跟进日历');
  await page.getByTestId('view-name-save').click();
  await untilText(page.getByTestId('view-name'), '跟进日历');
  await waitUntil(() => /[?&]view=viw/.test(page.url()), { message: 'the view in the address' });
  viewURL = page.url();
  await page.goto(`${server.url}/t/${table.id}`);
  await page.getByTestId('grid').waitFor();
  await page.goto(viewURL);
  await page.getByTestId(`calendar-day-${day(d1)}`).getByTestId(`calendar-chip-${ids['华为']}`).waitFor();
});

step('a chip opens its record', async () => {
  await page.getByTestId(`calendar-chip-${ids['比亚迪']}`).click();
  const form = page.getByTestId('record-form');
  await form.waitFor();
  assert.equal(await form.getByTestId('form-field-客户名称').locator('input').inputValue(), '比亚迪');
  await page.keyboard.press('Escape');
  await form.waitFor({ state: 'hidden' });
});

step('a chip dragged to another day is saved, with its history', async () => {
  await page.getByTestId(`calendar-chip-${ids['华为']}`).dragTo(page.getByTestId(`calendar-day-${day(d4)}`));
  await waitUntil(async () => (await dateOf('华为')) === day(d4), { message: 'the drag to be saved' });
  await page.getByTestId(`calendar-day-${day(d4)}`).getByTestId(`calendar-chip-${ids['华为']}`).waitFor();
  const history = (await api.get(`/tables/${table.id}/records/${ids['华为']}/history`)).body.items;
  assert.equal(history[0].action, 'update');
});

step('a chip dragged onto a day another 客户 holds comes back with the reason', async () => {
  await page.getByTestId(`calendar-chip-${ids['华为']}`).dragTo(page.getByTestId(`calendar-day-${day(d2)}`));
  const error = page.getByTestId(`calendar-chip-${ids['华为']}`).getByTestId('calendar-chip-error');
  await error.waitFor();
  assert.match(await text(error), /已存在，该字段不允许重复/);
  assert.equal(await page.getByTestId(`calendar-day-${day(d4)}`).getByTestId(`calendar-chip-${ids['华为']}`).count(), 1);
  assert.equal(await dateOf('华为'), day(d4));
});

step('the next month shows its 客户', async () => {
  await page.getByTestId('calendar-next').click();
  await page.getByTestId(`calendar-day-${day(5, now.getMonth() + 1)}`).getByTestId(`calendar-chip-${ids['美团']}`).waitFor();
  await page.getByTestId('calendar-today').click();
  await page.getByTestId(`calendar-chip-${ids['小米']}`).waitFor();
});

step('on a 390×844 phone the calendar is this week as a list of days', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await ctx.newPage();
  phone.setDefaultTimeout(15_000);
  try {
    await login(phone, server.url);
    await phone.goto(viewURL);
    const cal = phone.getByTestId('calendar');
    await cal.waitFor();
    await phone.getByTestId(`calendar-day-${today}`).waitFor();
    assert.equal(await phone.locator('[data-testid^="calendar-day-"]').count(), 7);
    await phone.getByTestId(`calendar-day-${today}`).getByTestId(`calendar-chip-${ids['腾讯']}`).waitFor();
    assert.ok(await cal.evaluate((el) => el.scrollWidth <= el.clientWidth), 'no sideways scrolling');
    const box = await phone.getByTestId(`calendar-day-${today}`).boundingBox();
    assert.ok(box.width > 300, `a day is a full-width row (${box.width}px)`);
    await phone.getByTestId(`calendar-chip-${ids['腾讯']}`).click();
    await phone.getByTestId('record-form').waitFor();
  } finally {
    await ctx.close();
  }
});

// `serve --demo`: the 客户 table holds 2000 demo customers; the grid shows the total and pages
// through them 50 at a time. A member is offered only themselves as 负责人; an admin everyone.
import assert from 'node:assert/strict';
import { session, login, newPage, steps, waitUntil, text, untilText } from './lib.mjs';

let server, browser, page, api;
const step = steps('demo', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const rowIds = () =>
  page.locator('[data-testid="grid"] tbody tr[data-testid^="row-"]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.testid.slice(4))));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const pageOf = async (n) => (await api.records('客户', { limit: 50, offset: (n - 1) * 50 })).items.map((r) => r.id);

step('the 客户 grid shows 2000 customers', async () => {
  const all = await api.records('客户', { limit: 1 });
  assert.equal(all.total, 2000);
  await login(page, server.url);
  await page.getByTestId('nav-app-客户管理').waitFor();
  await page.getByTestId('nav-table-客户').click();
  await untilText(page.getByTestId('grid-total'), '共 2000 条');
  const first = await pageOf(1);
  await waitUntil(async () => same(await rowIds(), first), { message: 'the first 50 rows' });
  assert.equal(first.length, 50);
  assert.match(await text(page.getByTestId('pager')), /共 2000 条/);
  assert.equal(await text(page.locator('[data-testid="pager"] .el-pager li.is-active')), '1');
});

step('paging moves through the customers', async () => {
  const pager = page.getByTestId('pager');
  await pager.locator('.btn-next').click();
  const second = await pageOf(2);
  await waitUntil(async () => same(await rowIds(), second), { message: 'the rows of page 2' });
  assert.equal(await text(pager.locator('.el-pager li.is-active')), '2');

  // The last page (40) through its number, then the jumper to page 17.
  await pager.locator('.el-pager li').filter({ hasText: /^40$/ }).click();
  const last = await pageOf(40);
  assert.equal(last.length, 50);
  await waitUntil(async () => same(await rowIds(), last), { message: 'the rows of page 40' });
  assert.equal(await pager.locator('.btn-next').isDisabled(), true);

  const jumper = pager.locator('.el-pagination__jump input');
  await jumper.fill('17');
  await jumper.press('Enter');
  const p17 = await pageOf(17);
  await waitUntil(async () => same(await rowIds(), p17), { message: 'the rows of page 17' });
  assert.equal(await text(pager.locator('.el-pager li.is-active')), '17');
  assert.equal(await text(page.getByTestId('grid-total')), '共 2000 条');
});

step('searching starts again from the first page', async () => {
  await page.getByTestId('search').fill('zzzz-no-such-customer');
  await untilText(page.getByTestId('grid-total'), '共 0 条');
  assert.match(await text(page.getByTestId('grid')), /没有记录/);
  await page.getByTestId('search').fill('');
  await untilText(page.getByTestId('grid-total'), '共 2000 条');
  await waitUntil(async () => same(await rowIds(), await pageOf(1)), { message: 'page 1 again' });
  assert.equal(await text(page.locator('[data-testid="pager"] .el-pager li.is-active')), '1');
});

// Handing a record to someone else is the admins' (the server answers 403 assign_refused):
// the record form offers a member only themselves as 负责人, an admin every user.
const ownerChoices = async (p) => {
  await p.getByTestId('add-record').click();
  const select = p.getByTestId('user-input-负责人');
  await select.click();
  const list = await select.locator('input[role=combobox]').getAttribute('aria-controls');
  const items = p.locator(`[id="${list}"] .el-select-dropdown__item`);
  await items.first().waitFor();
  const names = (await items.allInnerTexts()).map((s) => s.trim());
  await p.keyboard.press('Escape');
  await p.getByTestId('record-cancel').click();
  return names;
};

step('the 负责人 picker offers a member only themselves, an admin everyone', async () => {
  const users = (await api.get('/users')).body.items;
  assert.ok(users.length >= 8, `${users.length} users`);
  assert.deepEqual((await ownerChoices(page)).sort(), users.map((u) => u.name).sort());
  const member = await newPage(browser);
  try {
    await login(member, server.url, { email: 'lina@demo.tierbase', password: 'tierbase-demo' }); // 销售: 仅本人
    await member.getByTestId('nav-table-客户').click();
    await member.getByTestId('grid-total').waitFor();
    const me = users.find((u) => u.email === 'lina@demo.tierbase');
    assert.deepEqual(await ownerChoices(member), [me.name]);
  } finally {
    await member.context().close();
  }
});

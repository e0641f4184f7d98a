// The filter builder on a 敏感 field, on `serve --demo`: 张伟 (销售总监) is offered only what the
// server accepts for 联系电话 (等于, 不等于, 为空, 不为空) with a hint that it is found by its
// whole value, and a phone typed with +86 and spaces finds the customer.
// Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, text, untilText, apiClient, chooseOption } from './lib.mjs';

const ZHANG = { email: 'zhangwei@demo.tierbase', password: 'tierbase-demo' };

let server, browser, page, api;
const step = steps('sensitive-filter', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

step('张伟 opens the filter builder on 联系电话 and is offered only what a 敏感 field serves', async () => {
  await login(page, server.url, ZHANG);
  await page.getByTestId('nav-table-客户').click();
  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '联系电话');
  await untilText(page.getByTestId('filter-sensitive-hint-0'), '敏感字段只能按完整值查找：等于、不等于或为空。');
  const op = page.getByTestId('filter-op-0');
  await op.click();
  const list = await op.locator('input[role=combobox]').getAttribute('aria-controls');
  const items = page.locator(`[id="${list}"] .el-select-dropdown__item`);
  await items.first().waitFor();
  const offered = (await items.allTextContents()).map((s) => s.trim());
  assert.deepEqual(offered, ['等于', '不等于', '为空', '不为空']);
  await page.keyboard.press('Escape');
  // On a phone the hint stays readable inside the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const box = await page.getByTestId('filter-sensitive-hint-0').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  await page.setViewportSize({ width: 1440, height: 900 });
});

step('a whole phone typed with +86 and spaces finds the customer; the server refuses "contains"', async () => {
  const zhang = await apiClient(server.url, ZHANG);
  const rec = (await api.records('客户', { filter: JSON.stringify({ field: '联系电话', op: 'notEmpty' }), limit: 1 })).items[0];
  const phone = rec['联系电话'];
  assert.match(phone, /^\d{11}$/, 'the admin sees the whole number');
  const same = await api.records('客户', { filter: JSON.stringify({ field: '联系电话', op: 'eq', value: phone }) });
  const typed = `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
  await page.getByTestId('filter-value-0').locator('input').fill(typed);
  await page.getByTestId('filter-apply').click();
  await untilText(page.getByTestId('grid-total'), `共 ${same.items.length} 条`);
  assert.match(await text(page.getByTestId('grid')), new RegExp(rec['客户名称']));
  const refused = await zhang.get(`/tables/${encodeURIComponent('客户')}/records?filter=${encodeURIComponent(JSON.stringify({ field: '联系电话', op: 'contains', value: phone.slice(0, 4) }))}`);
  assert.equal(refused.status, 400);
});

step('a shared link sorting by 联系电话 opens the grid unsorted, not with an error', async () => {
  const all = await api.records('客户', { limit: 1 });
  await page.goto(`${server.url}/t/${encodeURIComponent('客户')}?sort=-${encodeURIComponent('联系电话')}`);
  await untilText(page.getByTestId('grid-total'), `共 ${all.total} 条`);
  await page.waitForTimeout(300);
  assert.equal(await page.locator('.el-message--error').count(), 0, 'no error shown');
});

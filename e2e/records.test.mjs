// The main scenario: in the Chinese UI, build a 客户 table (new-table dialog + 字段设置), add
// customers through the record form with server-side validation shown under the field, edit
// cells inline (formatted money, refused values shown and reverted), filter with the builder
// and its Chinese sentence, and read the record's history. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

const TABLE = '客户';
const first = { name: '北京星辰科技有限公司', phone: '13800138000', amount: '12000', tier: '高价值客户' };
const second = { name: '上海小店', phone: '13900139000', amount: '3000', tier: '普通客户' };

let server, browser, page, api;
let id1, id2; // ids of the two customers
const step = steps('records', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

const cell = (id, field) => page.getByTestId(`cell-${id}-${field}`);
const formInput = (field) => page.getByTestId(`form-field-${field}`).locator('input').first();
const formError = (field) => page.getByTestId(`form-field-${field}`).locator('.el-form-item__error');
const isPatch = (id) => (r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname.endsWith(`/records/${id}`);

step('login in the Chinese UI (the default)', async () => {
  await page.goto(server.url + '/');
  await page.getByTestId('login-form').waitFor();
  assert.equal(await text(page.getByTestId('login-submit')), '登录');
  await login(page, server.url);
  assert.equal(await text(page.getByTestId('new-table')), '新建表');
  assert.equal(await text(page.getByTestId('template-crm')), '从模板创建');
  assert.match(await text(page.getByTestId('home')), /还没有任何表/);
});

step('create the table 客户 with the new-table dialog', async () => {
  await page.getByTestId('new-table').click();
  await page.getByTestId('new-table-form').waitFor();
  await page.getByTestId('new-table-name').fill(TABLE);
  await page.getByTestId('new-table-field-0').fill('客户名称');
  assert.equal(await text(page.getByTestId('new-table-type-0')), '单行文本');
  await page.getByTestId('new-table-add-field').click();
  await page.getByTestId('new-table-field-1').fill('联系电话');
  await chooseOption(page, page.getByTestId('new-table-type-1'), '手机');
  await page.getByTestId('new-table-add-field').click();
  await page.getByTestId('new-table-field-2').fill('累计消费金额');
  await chooseOption(page, page.getByTestId('new-table-type-2'), '金额');
  assert.equal(await text(page.getByTestId('new-table-type-1')), '手机');
  assert.equal(await text(page.getByTestId('new-table-type-2')), '金额');
  await page.getByTestId('new-table-save').click();

  await untilText(page.getByTestId('table-title'), TABLE);
  await page.getByTestId('nav-table-客户').waitFor();
  await untilText(page.getByTestId('grid-total'), '共 0 条');
  for (const f of ['客户名称', '联系电话', '累计消费金额', '负责人', '创建时间']) await page.getByTestId(`header-${f}`).waitFor();
  assert.match(await text(page.getByTestId('grid')), /没有记录/);
});

step('make 客户名称 required and add 客户等级 (单选) in 字段设置', async () => {
  await page.getByTestId('designer-open').click();
  await page.getByTestId('designer').waitFor();
  assert.equal(await page.getByTestId('table-name').inputValue(), TABLE);

  await page.getByTestId('field-edit-客户名称').click();
  await page.getByTestId('field-form').waitFor();
  assert.equal(await page.getByTestId('field-name').inputValue(), '客户名称');
  await page.getByTestId('field-required').click();
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.getByTestId('field-item-客户名称').filter({ hasText: '必填' }).waitFor();

  await page.getByTestId('field-add').click();
  await page.getByTestId('field-form').waitFor();
  await page.getByTestId('field-name').fill('客户等级');
  await chooseOption(page, page.getByTestId('field-type'), '单选');
  const options = ['高价值客户', '潜力客户', '普通客户'];
  for (let i = 0; i < options.length; i++) {
    await page.getByTestId('field-option-add').click();
    await page.getByTestId(`field-option-${i}`).fill(options[i]);
  }
  await page.getByTestId('field-save').click();
  await page.getByTestId('field-form').waitFor({ state: 'hidden' });
  await page.getByTestId('field-item-客户等级').filter({ hasText: '单选' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('designer').waitFor({ state: 'hidden' });

  await page.getByTestId('header-客户等级').waitFor();
  assert.match(await text(page.getByTestId('header-客户名称')), /\*/, 'a required field is starred');

  const res = await api.get('/tables/' + encodeURIComponent(TABLE));
  assert.equal(res.status, 200);
  const fields = Object.fromEntries(res.body.fields.filter((f) => !f.system).map((f) => [f.name, f]));
  assert.deepEqual(Object.keys(fields), ['客户名称', '联系电话', '累计消费金额', '客户等级']);
  assert.equal(fields['客户名称'].type, 'text');
  assert.equal(fields['客户名称'].required, true);
  assert.equal(fields['联系电话'].type, 'phone');
  assert.equal(fields['累计消费金额'].type, 'money');
  assert.equal(fields['客户等级'].type, 'select');
  assert.deepEqual(fields['客户等级'].options.map((o) => o.value), options);
});

step('an invalid phone in the record form is explained under the field and nothing is saved', async () => {
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  await formInput('客户名称').fill(first.name);
  await formInput('联系电话').fill('12345');
  await formInput('累计消费金额').fill(first.amount);
  await chooseOption(page, page.getByTestId('form-field-客户等级').locator('.el-select'), first.tier);
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/records'));
  await page.getByTestId('record-save').click();
  assert.equal((await answer).status(), 400);

  const error = formError('联系电话');
  await error.waitFor();
  assert.match(await text(error), /「12345」不是有效的手机号/);
  assert.equal(await formError('客户名称').count(), 0, 'only the phone is wrong');
  assert.equal(await page.getByTestId('form-error').count(), 0, 'the message sits under the field, not on top');
  assert.ok(await page.getByTestId('record-form').isVisible(), 'the form stays open');

  const list = await api.records(TABLE);
  assert.equal(list.total, 0);
});

step('fixing the phone saves the customer', async () => {
  await formInput('联系电话').fill(first.phone);
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('grid-total'), '共 1 条');

  const list = await api.records(TABLE);
  assert.equal(list.total, 1);
  const rec = list.items[0];
  id1 = rec.id;
  assert.equal(rec['客户名称'], first.name);
  assert.equal(rec['联系电话'], first.phone);
  assert.equal(rec['累计消费金额'], 12000);
  assert.equal(rec['客户等级'], first.tier);

  await page.getByTestId(`row-${id1}`).waitFor();
  assert.equal(await text(cell(id1, '客户名称')), first.name);
  assert.equal(await text(cell(id1, '联系电话')), first.phone);
  assert.equal(await text(cell(id1, '累计消费金额')), '¥12,000.00');
  assert.equal(await text(cell(id1, '客户等级')), first.tier);
});

step('a second customer through the form', async () => {
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  assert.equal(await formInput('客户名称').inputValue(), '', 'the form starts empty');
  await formInput('客户名称').fill(second.name);
  await formInput('联系电话').fill(second.phone);
  await formInput('累计消费金额').fill(second.amount);
  await chooseOption(page, page.getByTestId('form-field-客户等级').locator('.el-select'), second.tier);
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  const list = await api.records(TABLE, { sort: 'id' });
  assert.equal(list.total, 2);
  id2 = list.items[1].id;
  await page.getByTestId(`row-${id2}`).waitFor();
  assert.equal(await text(cell(id2, '累计消费金额')), '¥3,000.00');
});

step('inline edit of 累计消费金额 saves and shows the formatted amount', async () => {
  const c = cell(id1, '累计消费金额');
  await c.dblclick();
  const input = c.locator('input');
  await input.waitFor();
  assert.equal(await input.inputValue(), '12000');
  await input.fill('56789.5');
  const saved = page.waitForResponse(isPatch(id1));
  await input.press('Enter');
  assert.equal((await saved).status(), 200);
  await untilText(c, '¥56,789.50');
  assert.equal(await c.locator('input').count(), 0, 'the editor is closed');
  assert.equal((await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${id1}`)).body['累计消费金额'], 56789.5);
});

step('Enter on a selected cell edits it too', async () => {
  const c = cell(id2, '客户名称');
  await c.click();
  await page.keyboard.press('Enter');
  const input = c.locator('input');
  await input.waitFor();
  await input.fill('上海小店（静安）');
  const saved = page.waitForResponse(isPatch(id2));
  await page.keyboard.press('Enter');
  assert.equal((await saved).status(), 200);
  await untilText(c, '上海小店（静安）');
  assert.equal((await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${id2}`)).body['客户名称'], '上海小店（静安）');
  // Escape cancels an edit without saving.
  await page.keyboard.press('Enter');
  await input.waitFor();
  await input.fill('不要保存');
  await page.keyboard.press('Escape');
  await input.waitFor({ state: 'detached' });
  assert.equal(await text(c), '上海小店（静安）');
});

step('typing on a selected cell starts editing with what is typed; arrows move', async () => {
  // From 客户名称 of the second customer, two steps right (联系电话, then 累计消费金额).
  await cell(id2, '客户名称').click();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const c = cell(id2, '累计消费金额');
  await waitUntil(() => c.evaluate((el) => el.classList.contains('active')), { message: 'the amount cell active' });
  const saved = page.waitForResponse(isPatch(id2));
  await page.keyboard.type('4500.25');
  assert.equal(await c.locator('input').inputValue(), '4500.25', 'no typed character is lost');
  await page.keyboard.press('Enter');
  assert.equal((await saved).status(), 200);
  await untilText(c, '¥4,500.25');
  assert.equal((await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${id2}`)).body['累计消费金额'], 4500.25);
});

step('an invalid inline edit keeps the input in the cell with the reason; Escape gives the saved value back', async () => {
  const c = cell(id1, '联系电话');
  await c.dblclick();
  const input = c.locator('input');
  await input.fill('12345');
  const refused = page.waitForResponse(isPatch(id1));
  await input.press('Enter');
  assert.equal((await refused).status(), 400);
  const error = c.getByTestId('cell-error');
  await error.waitFor();
  assert.match(await text(error), /「12345」不是有效的手机号/);
  assert.equal(await page.getByTestId('cell-error').count(), 1);
  // The editor is open again on what was typed; nothing was saved.
  await waitUntil(async () => (await c.locator('input').count()) === 1 && (await c.locator('input').inputValue()) === '12345', { message: 'the input kept in the editor' });
  assert.equal((await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${id1}`)).body['联系电话'], first.phone);
  // Escape drops the input and the message: the saved value is back.
  await page.keyboard.press('Escape');
  await error.waitFor({ state: 'detached' });
  await waitUntil(async () => (await text(c.locator('.cell-content'))) === first.phone, { message: 'the old phone back in the cell' });
});

step('a select cell is edited by picking from its dropdown', async () => {
  const c = cell(id2, '客户等级');
  await c.dblclick();
  const list = await c.locator('input[role=combobox]').getAttribute('aria-controls');
  const saved = page.waitForResponse(isPatch(id2));
  await page.locator(`[id="${list}"] .el-select-dropdown__item`).filter({ hasText: /^\s*潜力客户\s*$/ }).click();
  assert.equal((await saved).status(), 200);
  await untilText(c, '潜力客户');
  assert.equal((await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${id2}`)).body['客户等级'], '潜力客户');
});

step('filter 累计消费金额 大于 20000 with the builder', async () => {
  await page.getByTestId('filter-open').click();
  await page.getByTestId('filter-panel').waitFor();
  await page.getByTestId('filter-row-0').waitFor();
  await chooseOption(page, page.getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, page.getByTestId('filter-op-0'), '大于');
  await page.getByTestId('filter-value-0').locator('input').fill('20000');
  await page.getByTestId('filter-apply').click();

  const sentence = page.getByTestId('filter-sentence');
  await sentence.waitFor();
  assert.match(await text(sentence), /^累计消费金额 大于 (¥)?20,?000(\.00)?$/);
  await untilText(page.getByTestId('grid-total'), '共 1 条');
  await page.getByTestId(`row-${id1}`).waitFor();
  assert.equal(await page.getByTestId(`row-${id2}`).count(), 0);
  assert.equal(await page.locator('[data-testid^="row-open-"]').count(), 1);

  // The same condition through the API gives the same rows.
  const filtered = await api.records(TABLE, { filter: JSON.stringify({ and: [{ field: '累计消费金额', op: 'gt', value: 20000 }] }) });
  assert.deepEqual(filtered.items.map((r) => r.id), [id1]);

  // Clearing it shows everything again.
  await page.getByTestId('filter-sentence-clear').click();
  await sentence.waitFor({ state: 'detached' });
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  await page.getByTestId(`row-${id2}`).waitFor();
});

step('the record form opened from a row shows the values and saves a change', async () => {
  await page.getByTestId(`row-open-${id1}`).click();
  await page.getByTestId('record-form').waitFor();
  assert.equal(await formInput('客户名称').inputValue(), first.name);
  assert.equal(await formInput('联系电话').inputValue(), first.phone);
  assert.equal(await formInput('累计消费金额').inputValue(), '56789.5');
  assert.equal(await text(page.getByTestId('form-field-客户等级').locator('.el-select')), first.tier);
  await chooseOption(page, page.getByTestId('form-field-客户等级').locator('.el-select'), '潜力客户');
  const saved = page.waitForResponse(isPatch(id1));
  await page.getByTestId('record-save').click();
  const res = await saved;
  assert.equal(res.status(), 200);
  assert.deepEqual(Object.keys(JSON.parse(res.request().postData())), ['客户等级'], 'only the changed field is sent');
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  await untilText(cell(id1, '客户等级'), '潜力客户');
});

step('the record history shows 新增 and 修改 with before → after', async () => {
  await page.getByTestId(`row-history-${id1}`).click();
  const panel = page.getByTestId('history-panel');
  await panel.waitFor();
  const items = panel.getByTestId('history-item');
  await waitUntil(async () => (await items.count()) === 3, { message: 'three history items' });
  // Newest first: the form's change, the inline edit, then the creation. The refused phone
  // left no trace.
  const me = (await api.get('/auth/me')).body;
  const [tier, amount, created] = [items.nth(0), items.nth(1), items.nth(2)];
  assert.match(await text(tier), /修改/);
  assert.match(await text(tier), new RegExp(me.name), 'the author is named');
  assert.match(await text(tier.getByTestId('history-change')), /^客户等级:\s*高价值客户\s*→\s*潜力客户$/);
  assert.match(await text(amount), /修改/);
  assert.equal(await amount.getByTestId('history-change').count(), 1);
  assert.match(await text(amount.getByTestId('history-change')), /^累计消费金额:\s*¥12,000\.00\s*→\s*¥56,789\.50$/);
  assert.match(await text(created), /新增/);
  assert.match(await text(created.getByTestId('history-change').filter({ hasText: '客户名称' })), new RegExp(`^客户名称:.*→\\s*${first.name}$`));

  const hist = await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${id1}/history`);
  assert.deepEqual(hist.body.items.map((h) => h.action), ['update', 'update', 'create']);
  assert.deepEqual(hist.body.items[0].changes.map((c) => [c.name, c.before, c.after]), [['客户等级', '高价值客户', '潜力客户']]);
  assert.deepEqual(hist.body.items[1].changes.map((c) => [c.name, c.before, c.after]), [['累计消费金额', 12000, 56789.5]]);
});

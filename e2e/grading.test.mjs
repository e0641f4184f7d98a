// Grading schemes (分级方案) on the `serve --demo` 客户 table (2000 customers, the template scheme
// 客户分级 installed): the schemes page lists it with its sentence; the editor's live impact
// preview follows a changed threshold (and ignores a stale answer), saving regrades; a new scheme
// on a new 单选 field grades every customer and the record drawer shows the record's tier
// history, and its 操作记录 names the scheme that set each grade; the preview counts the records
// per grade, and saving asks first with the counts that change; server errors are shown at the
// level they concern; switch, run and delete on the list; English; members see none of it.
// Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, apiClient, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

const TABLE = '客户';
const GRADE = '客户等级';
const GRADES = ['高价值客户', '潜力客户', '普通客户'];
const NEW_FIELD = '消费档次';
const NEW_SCHEME = '消费档次分级';
const member = { email: 'member@example.com', password: 'member-password-1', name: '成员甲' };

let server, browser, page, api;
let template; // the 客户分级 scheme as GET /api/schemes answers it
let saved; // the impact preview of the edited 客户分级, saved in step 3
let recordId, firstGrade; // the customer whose tier history is read, and its first 消费档次
const step = steps('grading', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const editor = () => page.getByTestId('scheme-editor');
const preview = () => page.getByTestId('scheme-preview');
const when = (i) => page.getByTestId(`scheme-level-when-${i}`);
const amountInput = (level, row) => when(level).getByTestId(`filter-value-${row}`).locator('input');
const signed = (n) => (n > 0 ? '+' + n : n < 0 ? '−' + Math.abs(n) : '±0');
const clone = (x) => JSON.parse(JSON.stringify(x));
const isPreview = (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/schemes/preview';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function schemes(lang) {
  const res = await api.get('/schemes', { lang });
  assert.equal(res.status, 200);
  return res.body.items;
}
const schemeNamed = async (name, lang) => (await schemes(lang)).find((s) => s.name === name);

// The 客户分级 scheme with the 累计消费金额 threshold of 高价值客户 set to amount.
function withThreshold(amount) {
  const s = clone(template);
  const leaf = s.levels[0].when.and.find((c) => c.field === '累计消费金额');
  leaf.value = amount;
  return s;
}

async function apiPreview(scheme) {
  const res = await api.post('/schemes/preview', scheme);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

// Saving a scheme that changes grades asks first, with how many records change and the moves;
// answer: the button to click (保存并重新分级 or 取消).
async function confirmSave(expected, answer = '保存并重新分级') {
  const box = page.locator('.scheme-confirm');
  await box.waitFor();
  const moves = expected.moves.slice(0, 5).map((m) => `${m.from || '（空）'}→${m.to || '（空）'} ${m.count.toLocaleString()}`);
  if (expected.moves.length > 5) moves.push('…');
  assert.equal(await text(box.locator('.el-message-box__message')), `将有 ${expected.changed.toLocaleString()} 条${TABLE}记录的等级改变：${moves.join('，')}。确定保存吗？`);
  await box.getByRole('button', { name: answer }).click();
  await box.waitFor({ state: 'hidden' });
}

async function countOf(field, value) {
  return (await api.records(TABLE, { filter: JSON.stringify({ field, op: 'eq', value }), limit: 1 })).total;
}

// Waits until the preview panel shows this answer of POST /api/schemes/preview: the sentence,
// the count, one coloured +N/−N tag per grade, the moves and the samples.
async function expectPreview(expected) {
  await preview().locator('[data-testid="scheme-changed"]').waitFor();
  await waitUntil(async () => (await preview().getAttribute('data-state')) === 'ready', { message: 'the preview to be ready' });
  await untilText(page.getByTestId('scheme-changed'), `将有 ${expected.changed} 条记录变化`);
  assert.equal(await text(page.getByTestId('scheme-text')), expected.text);
  for (const [grade, n] of Object.entries(expected.net)) {
    const tag = page.getByTestId(`scheme-net-${grade || '_empty'}`);
    assert.equal(await text(tag), signed(n), `the net tag of ${grade}`);
    const cls = await tag.getAttribute('class');
    assert.match(cls, n > 0 ? /el-tag--success/ : n < 0 ? /el-tag--danger/ : /el-tag--info/, `the colour of ${grade}`);
  }
  assert.equal(await page.locator('[data-testid^="scheme-net-"]').count(), Object.keys(expected.net).length, 'no other net tag');
  const moves = page.getByTestId('scheme-move');
  assert.equal(await moves.count(), expected.moves.length);
  for (let i = 0; i < expected.moves.length; i++) {
    const m = expected.moves[i];
    assert.equal(await text(moves.nth(i)), `${m.from || '（空）'} → ${m.to || '（空）'} ${m.count}`);
  }
  // The records per grade, now and after saving.
  assert.ok(expected.grades.length >= 1, 'the preview counts the grades');
  for (const g of expected.grades) {
    assert.equal(await text(page.getByTestId(`scheme-grade-${g.value || '_empty'}`)), `${g.value || '（空）'} ${g.before.toLocaleString()} ${g.after.toLocaleString()}`);
  }
  const samples = page.getByTestId('scheme-sample');
  assert.equal(await samples.count(), Math.min(5, expected.samples.length));
  if (expected.samples.length) {
    const s = expected.samples[0];
    assert.equal(await text(samples.first()), `#${s.id} ${s.title} ${s.from || '（空）'} → ${s.to || '（空）'}`);
  }
}

step('the schemes page lists 客户分级 with its Chinese sentence', async () => {
  template = await schemeNamed('客户分级');
  assert.ok(template, 'the demo installs 客户分级');
  await login(page, server.url);
  const nav = page.getByTestId('nav-schemes');
  assert.equal(await text(nav), '分级方案');
  await nav.click();
  await page.getByTestId('schemes-page').waitFor();
  const row = page.getByTestId('scheme-row-客户分级');
  await row.waitFor();
  const sentence = await text(page.getByTestId('scheme-sentence-客户分级'));
  assert.equal(sentence, template.text);
  assert.match(sentence, /^当 最近消费日 在最近30天内（含今天） 且 购买频率 大于 5 且 累计消费金额 大于 10000 时，将 客户等级 设为 高价值客户；/);
  assert.match(sentence, /其余设为 普通客户$/);
  assert.equal(await text(row.getByTestId('scheme-row-table')), '表: 客户');
  assert.equal(await text(row.getByTestId('scheme-row-field')), '分级字段: 客户等级');
  assert.match(await page.getByTestId('scheme-enabled-客户分级').getAttribute('class'), /is-checked/);
  for (const b of ['edit', 'run', 'delete']) await page.getByTestId(`scheme-${b}-客户分级`).waitFor();
  assert.equal(await text(page.getByTestId('scheme-run-客户分级')), '立即执行');
});

step('the editor shows 客户分级 and its preview follows the 累计消费金额 threshold', async () => {
  await page.getByTestId('scheme-edit-客户分级').click();
  await editor().waitFor();
  assert.equal(await page.getByTestId('scheme-name').inputValue(), '客户分级');
  assert.equal(await text(page.getByTestId('scheme-table')), '客户');
  assert.equal(await text(page.getByTestId('scheme-field')), GRADE);
  assert.equal(await text(page.getByTestId('scheme-level-value-0')), '高价值客户');
  assert.equal(await text(page.getByTestId('scheme-level-value-1')), '潜力客户');
  assert.equal(await page.getByTestId('scheme-level-2').count(), 0);
  assert.equal(await text(page.getByTestId('scheme-default')), '普通客户');
  assert.equal(await text(when(0).getByTestId('filter-field-2')), '累计消费金额');
  assert.equal(await amountInput(0, 2).inputValue(), '10000');

  // Unchanged, the scheme changes what the API says (nothing, the demo was graded by it).
  await expectPreview(await apiPreview(template));

  // A lower threshold: more 高价值客户.
  const lower = await apiPreview(withThreshold(5000));
  assert.ok(lower.changed > 0 && lower.net['高价值客户'] > 0, 'the demo data has customers between ¥5,000 and ¥10,000');
  await amountInput(0, 2).fill('5000');
  await expectPreview(lower);
  assert.match(await text(page.getByTestId('scheme-text')), /累计消费金额 大于 5000 时/);

  // A higher one: fewer. Its answer comes first although the request for ¥8,000 was sent
  // before it; the late answer for ¥8,000 must not replace it.
  const higher = await apiPreview(withThreshold(20000));
  assert.ok(higher.net['高价值客户'] < 0);
  let held = 0;
  let holding;
  const sent = new Promise((r) => (holding = r));
  await page.route('**/api/schemes/preview', async (route) => {
    if (route.request().postDataJSON().levels[0].when.and.some((c) => c.value === 8000)) {
      held++;
      holding();
      await sleep(1500);
    }
    await route.continue();
  });
  const slow = page.waitForResponse((r) => isPreview(r) && r.request().postDataJSON().levels[0].when.and.some((c) => c.value === 8000));
  await amountInput(0, 2).fill('8000');
  await sent;
  await amountInput(0, 2).fill('20000');
  await expectPreview(higher);
  await slow;
  await sleep(200);
  await expectPreview(higher);
  await page.unroute('**/api/schemes/preview');
  assert.equal(held, 1);

  await amountInput(0, 2).fill('5000');
  await expectPreview(lower);
  saved = lower;
});

step('saving 客户分级 regrades the customers as the preview said', async () => {
  const before = {};
  for (const g of GRADES) before[g] = await countOf(GRADE, g);
  // Cancelled, nothing is sent and the editor stays.
  let sent = 0;
  const count = (r) => { if (r.method() === 'PUT') sent++; };
  page.on('request', count);
  await page.getByTestId('scheme-save').click();
  await confirmSave(saved, '取消');
  await sleep(300);
  page.off('request', count);
  assert.equal(sent, 0, 'nothing saved after 取消');
  assert.ok(await editor().isVisible(), 'the editor stays open');
  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/schemes/${template.id}`);
  await page.getByTestId('scheme-save').click();
  await confirmSave(saved);
  const res = await put;
  assert.equal(res.status(), 200);
  assert.equal((await res.json()).changed, saved.changed);
  await page.getByTestId('schemes-page').waitFor();
  await page.locator('.el-message--success').filter({ hasText: `已保存，${saved.changed} 条记录已更新` }).waitFor();
  await untilText(page.getByTestId('scheme-sentence-客户分级'), (await schemeNamed('客户分级')).text);
  assert.match(await text(page.getByTestId('scheme-sentence-客户分级')), /累计消费金额 大于 5000 时/);

  for (const g of GRADES) assert.equal(await countOf(GRADE, g), before[g] + (saved.net[g] || 0), `the number of ${g}`);
  const now = await schemeNamed('客户分级');
  const tbl = (await api.get(`/tables/${encodeURIComponent(TABLE)}`)).body;
  const amountId = tbl.fields.find((f) => f.name === '累计消费金额').id;
  // The builder names fields by id.
  assert.deepEqual(now.levels[0].when.and.find((c) => c.field === amountId), { field: amountId, op: 'gt', value: 5000 });
  // Nothing left to change: running it now changes no record.
  await page.getByTestId('scheme-run-客户分级').click();
  await untilText(page.getByTestId('scheme-run-result-客户分级'), '0 条记录已更新');
});

step('a new scheme on a new 单选 field grades every customer', async () => {
  const field = await api.post(`/tables/${encodeURIComponent(TABLE)}/fields`, {
    name: NEW_FIELD,
    type: 'select',
    options: [{ value: 'A档' }, { value: 'B档' }, { value: 'C档' }],
  });
  assert.equal(field.status, 201, JSON.stringify(field.body));

  await page.getByTestId('scheme-new').click();
  await editor().waitFor();
  assert.equal(await text(page.getByTestId('scheme-preview-hint')), '选择表和分级字段，并把每个等级填写完整后，这里会显示保存后将发生的变化');
  await page.getByTestId('scheme-name').fill(NEW_SCHEME);
  await chooseOption(page, page.getByTestId('scheme-table'), TABLE);
  await chooseOption(page, page.getByTestId('scheme-field'), NEW_FIELD);
  await chooseOption(page, page.getByTestId('scheme-level-value-0'), 'B档');
  await chooseOption(page, when(0).getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, when(0).getByTestId('filter-op-0'), '大于等于');
  await amountInput(0, 0).fill('10000');
  await page.getByTestId('scheme-level-add').click();
  await chooseOption(page, page.getByTestId('scheme-level-value-1'), 'A档');
  await chooseOption(page, when(1).getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, when(1).getByTestId('filter-op-0'), '大于等于');
  await amountInput(1, 0).fill('50000');
  // A档 must be tried first: move it up.
  await page.getByTestId('scheme-level-up-1').click();
  assert.equal(await text(page.getByTestId('scheme-level-value-0')), 'A档');
  assert.equal(await amountInput(0, 0).inputValue(), '50000');
  assert.equal(await text(page.getByTestId('scheme-level-value-1')), 'B档');
  await chooseOption(page, page.getByTestId('scheme-default'), 'C档');

  const leaf = (v) => ({ and: [{ field: '累计消费金额', op: 'gte', value: v }] });
  const scheme = {
    name: NEW_SCHEME, table: TABLE, field: NEW_FIELD, enabled: true, default: 'C档',
    levels: [{ value: 'A档', when: leaf(50000) }, { value: 'B档', when: leaf(10000) }],
  };
  const expected = await apiPreview(scheme);
  assert.equal(expected.changed, 2000, 'every customer gets a 消费档次');
  assert.equal(expected.text, '当 累计消费金额 大于等于 50000 时，将 消费档次 设为 A档；否则当 累计消费金额 大于等于 10000 时，设为 B档；其余设为 C档');
  await expectPreview(expected);

  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/schemes');
  await page.getByTestId('scheme-save').click();
  await confirmSave(expected);
  const res = await post;
  assert.equal(res.status(), 201);
  assert.equal((await res.json()).changed, 2000);
  await page.getByTestId(`scheme-row-${NEW_SCHEME}`).waitFor();
  assert.equal(await text(page.getByTestId(`scheme-sentence-${NEW_SCHEME}`)), expected.text);
  for (const g of ['A档', 'B档', 'C档']) assert.equal(await countOf(NEW_FIELD, g), expected.net[g] || 0, `the number of ${g}`);
});

// ordered is what a customer's orders add to its 历史消费金额 in 累计消费金额 (a rollup).
const ordered = (rec) => (rec['累计消费金额'] ?? 0) - (rec['历史消费金额'] ?? 0);

step("the record drawer shows the customer's tier history", async () => {
  const first = (await api.records(TABLE, { limit: 1 })).items[0];
  recordId = first.id;
  const amount = first['累计消费金额'] ?? 0;
  firstGrade = amount >= 50000 ? 'A档' : amount >= 10000 ? 'B档' : 'C档';
  assert.equal(first[NEW_FIELD], firstGrade);

  await page.getByTestId(`nav-table-${TABLE}`).click();
  await page.getByTestId(`row-${recordId}`).waitFor();
  assert.equal(await text(page.getByTestId(`cell-${recordId}-${NEW_FIELD}`)), firstGrade);
  await page.getByTestId(`row-open-${recordId}`).click();
  await page.getByTestId('record-form').waitFor();
  const history = page.getByTestId('tier-history');
  await history.waitFor();
  await waitUntil(async () => (await history.getByTestId('tier-history-item').filter({ hasText: NEW_FIELD }).count()) === 1, { message: 'one 消费档次 change' });
  const item = history.getByTestId('tier-history-item').filter({ hasText: NEW_FIELD });
  assert.match(await text(item), new RegExp(`^${NEW_FIELD} （空） → ${firstGrade} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d 由「${NEW_SCHEME}」$`));
  assert.match(await text(page.locator('.el-drawer').filter({ has: history })), /等级变化/);
  // The graded fields are set by their schemes, not typed.
  await untilText(page.getByTestId(`form-graded-${NEW_FIELD}`), `由分级方案「${NEW_SCHEME}」自动设置`);
  assert.equal(await text(page.getByTestId(`form-graded-${GRADE}`)), '由分级方案「客户分级」自动设置');
  assert.equal(await page.getByTestId(`form-field-${NEW_FIELD}`).locator('.el-select__wrapper.is-disabled').count(), 1);
  assert.equal(await page.getByTestId('form-field-客户来源').locator('.el-select__wrapper.is-disabled').count(), 0);

  // A new amount moves the customer to another 档: the change is kept, newest first.
  // 累计消费金额 is 历史消费金额 plus the customer's orders: the history is typed.
  const next = firstGrade === 'A档' ? { amount: 100, grade: 'C档' } : { amount: 60000, grade: 'A档' };
  await page.getByTestId('form-field-历史消费金额').locator('input').first().fill(String(next.amount - ordered(first)));
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  await untilText(page.getByTestId(`cell-${recordId}-${NEW_FIELD}`), next.grade);

  const apiHistory = await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${recordId}/tier-history`);
  assert.equal(apiHistory.status, 200);
  const mine = apiHistory.body.items.filter((c) => c.field === NEW_FIELD);
  assert.deepEqual(mine.map((c) => [c.from, c.to, c.source]), [[firstGrade, next.grade, NEW_SCHEME], ['', firstGrade, NEW_SCHEME]]);

  await page.getByTestId(`row-open-${recordId}`).click();
  await page.getByTestId('record-form').waitFor();
  await waitUntil(async () => (await page.getByTestId('tier-history-item').filter({ hasText: NEW_FIELD }).count()) === 2, { message: 'two 消费档次 changes' });
  const items = page.getByTestId('tier-history-item');
  assert.equal(await items.count(), apiHistory.body.items.length);
  const ours = items.filter({ hasText: NEW_FIELD });
  assert.match(await text(ours.nth(0)), new RegExp(`^${NEW_FIELD} ${firstGrade} → ${next.grade} .* 由「${NEW_SCHEME}」$`));
  assert.match(await text(ours.nth(1)), new RegExp(`^${NEW_FIELD} （空） → ${firstGrade} `));
  await page.getByTestId('record-cancel').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
});

step("the record's 操作记录 shows the grades a scheme set as 分级方案「名称」, the first grading too", async () => {
  const hist = (await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${recordId}/history`)).body.items;
  const graded = hist.filter((e) => e.changes.some((c) => c.name === NEW_FIELD));
  assert.deepEqual(graded.map((e) => [e.via && e.via.kind, e.via && e.via.name, e.changes[0].before, e.changes[0].after]),
    [['scheme', NEW_SCHEME, firstGrade, graded[0].changes[0].after], ['scheme', NEW_SCHEME, null, firstGrade]]);
  const mine = hist.find((e) => !e.via && e.action === 'update');
  assert.ok(mine, 'the edit of 历史消费金额 is in the history');
  assert.ok(!mine.changes.some((c) => c.name === NEW_FIELD), 'the grade change is the scheme\'s, not the editor\'s');

  await page.getByTestId(`row-history-${recordId}`).click();
  const panel = page.getByTestId('history-panel');
  await panel.waitFor();
  const items = panel.getByTestId('history-item').filter({ has: page.getByTestId('history-change').filter({ hasText: NEW_FIELD }) });
  await waitUntil(async () => (await items.count()) === 2, { message: 'two 消费档次 entries' });
  for (let i = 0; i < 2; i++) assert.equal(await text(items.nth(i).getByTestId('history-user')), `分级方案「${NEW_SCHEME}」`);
  assert.match(await text(items.nth(1).getByTestId('history-change')), new RegExp(`^${NEW_FIELD}:\\s*（空）\\s*→\\s*${firstGrade}$`));
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
});

step("a bad condition shows the server's message at its level", async () => {
  const before = await schemeNamed(NEW_SCHEME);
  await page.getByTestId('nav-schemes').click();
  await page.getByTestId(`scheme-edit-${NEW_SCHEME}`).click();
  await editor().waitFor();
  await waitUntil(async () => (await preview().getAttribute('data-state')) === 'ready', { message: 'the first preview' });

  const bad = clone(before);
  bad.levels[1].when = { and: [{ field: '累计消费金额', op: 'gte', value: '一万' }] };
  const answer = await api.post('/schemes/preview', bad);
  assert.equal(answer.status, 400);
  const detail = answer.body.error.details[0];
  assert.equal(detail.path, 'levels[1].when.and[0].value');
  const shown = detail.message.replace(detail.path, '第 2 级 · 条件 1');
  assert.match(shown, /「一万」不是数字/);

  await amountInput(1, 0).fill('一万');
  await untilText(page.getByTestId('scheme-preview-error'), shown);
  await untilText(page.getByTestId('scheme-level-error-1'), shown);
  assert.equal(await page.getByTestId('scheme-level-error-0').count(), 0, 'only the second level is wrong');
  assert.match(await when(1).getByTestId('filter-row-0').getAttribute('class'), /filter-row-error/);

  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/schemes/${before.id}`);
  await page.getByTestId('scheme-save').click();
  assert.equal((await put).status(), 400);
  await page.locator('.el-message--error').filter({ hasText: '保存失败，请按提示修改' }).waitFor();
  assert.equal(await text(page.getByTestId('scheme-level-error-1')), shown);
  assert.ok(await editor().isVisible(), 'the editor stays open');
  assert.deepEqual((await schemeNamed(NEW_SCHEME)).levels, before.levels, 'nothing was saved');

  // Fixed, the error goes away with the next preview.
  await amountInput(1, 0).fill('10000');
  await waitUntil(async () => (await preview().getAttribute('data-state')) === 'ready', { message: 'a good preview' });
  assert.equal(await page.getByTestId('scheme-level-error-1').count(), 0);
  await untilText(page.getByTestId('scheme-changed'), '将有 0 条记录变化');
});

step('a second enabled scheme on a graded field is refused with the server message', async () => {
  // Leaving the editor with changes asks first.
  await amountInput(1, 0).fill('12000');
  await page.getByTestId('scheme-back').click();
  const box = page.locator('.el-message-box');
  await box.waitFor();
  assert.match(await text(box), /有未保存的修改，确定离开吗？/);
  await box.getByRole('button', { name: '离开' }).click();
  await page.getByTestId('schemes-page').waitFor();

  await page.getByTestId('scheme-new').click();
  await editor().waitFor();
  await page.getByTestId('scheme-name').fill('另一个客户分级');
  await chooseOption(page, page.getByTestId('scheme-table'), TABLE);
  await chooseOption(page, page.getByTestId('scheme-field'), GRADE);
  await chooseOption(page, page.getByTestId('scheme-level-value-0'), '潜力客户');
  await when(0).getByTestId('filter-remove-0').click();
  await untilText(when(0).getByTestId('filter-all'), '没有条件：所有记录都满足');
  await untilText(page.getByTestId('scheme-text'), '当 全部记录 时，将 客户等级 设为 潜力客户');

  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/schemes');
  await page.getByTestId('scheme-save').click();
  await page.locator('.scheme-confirm').getByRole('button', { name: '保存并重新分级' }).click();
  const res = await post;
  assert.equal(res.status(), 409);
  assert.equal(await text(page.getByTestId('scheme-error')), (await res.json()).error.message);
  assert.equal(await text(page.getByTestId('scheme-error')), '这个字段已由分级方案「客户分级」分级，请先停用它');
  assert.equal((await schemes()).length, 2);
});

step('on the list: switch a scheme off and on, run it, delete it', async () => {
  await page.getByTestId('scheme-back').click();
  await page.locator('.el-message-box').getByRole('button', { name: '离开' }).click();
  await page.getByTestId(`scheme-row-${NEW_SCHEME}`).waitFor();

  const sw = page.getByTestId(`scheme-enabled-${NEW_SCHEME}`);
  await sw.click();
  await waitUntil(async () => !/is-checked/.test(await sw.getAttribute('class')), { message: 'the switch off' });
  await waitUntil(async () => (await schemeNamed(NEW_SCHEME)).enabled === false, { message: 'the scheme disabled' });
  assert.equal(await page.getByTestId(`scheme-run-${NEW_SCHEME}`).isDisabled(), true, 'a disabled scheme is not run');

  // While it is off, a changed amount leaves 消费档次 alone; switched on, it is regraded.
  const rec = (await api.records(TABLE, { limit: 1 })).items[0];
  const grade = rec[NEW_FIELD];
  const amount = grade === 'A档' ? 100 : 60000;
  const want = grade === 'A档' ? 'C档' : 'A档';
  const patched = await api.patch(`/tables/${encodeURIComponent(TABLE)}/records/${rec.id}`, { 历史消费金额: amount - ordered(rec) });
  assert.equal(patched.status, 200);
  assert.equal(patched.body[NEW_FIELD], grade);
  // Switching it on asks first: one customer would change grade.
  await sw.click();
  await confirmSave({ changed: 1, moves: [{ from: grade, to: want, count: 1 }] });
  await page.locator('.el-message--success').filter({ hasText: `已启用「${NEW_SCHEME}」，1 条记录已更新` }).waitFor();
  assert.equal((await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${rec.id}`)).body[NEW_FIELD], want);

  await page.getByTestId(`scheme-run-${NEW_SCHEME}`).click();
  await untilText(page.getByTestId(`scheme-run-result-${NEW_SCHEME}`), '0 条记录已更新');

  await page.getByTestId(`scheme-delete-${NEW_SCHEME}`).click();
  const box = page.locator('.el-message-box');
  await box.waitFor();
  assert.match(await text(box), new RegExp(`确定删除分级方案「${NEW_SCHEME}」吗？`));
  await box.getByRole('button', { name: '删除' }).click();
  await page.getByTestId(`scheme-row-${NEW_SCHEME}`).waitFor({ state: 'detached' });
  assert.deepEqual((await schemes()).map((s) => s.name), ['客户分级']);
  assert.equal(await countOf(NEW_FIELD, want) > 0, true, 'the grades it gave stay');
});

step('in English the page and the sentence are English', async () => {
  await page.getByTestId('lang-en').click();
  const en = await schemeNamed('客户分级', 'en');
  await untilText(page.getByTestId('scheme-sentence-客户分级'), en.text);
  assert.match(en.text, /^when /);
  assert.equal(await text(page.getByTestId('nav-schemes')), 'Grading schemes');
  assert.equal(await text(page.getByTestId('scheme-run-客户分级')), 'Run now');
  await page.getByTestId('scheme-edit-客户分级').click();
  await editor().waitFor();
  await untilText(page.getByTestId('scheme-changed'), '0 records would change');
  assert.equal(await text(page.getByTestId('scheme-text')), en.text);
  assert.equal(await text(page.getByTestId('scheme-level-0').locator('.se-level-no')), 'Level 1');
  await page.getByTestId('lang-zh').click();
  await untilText(page.getByTestId('scheme-changed'), '将有 0 条记录变化');
});

step('members see no 分级方案, yet the tier history in the drawer', async () => {
  const made = await api.post('/users', { ...member, role: 'member' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
  const mpage = await context.newPage();
  mpage.setDefaultTimeout(15_000);
  try {
    await login(mpage, server.url, member);
    assert.equal(await mpage.getByTestId('nav-schemes').count(), 0);
    await mpage.goto(server.url + '/schemes');
    await mpage.getByTestId('home').waitFor();
    assert.equal(await mpage.getByTestId('schemes-page').count(), 0);
    const mapi = await apiClient(server.url, member);
    assert.equal((await mapi.post('/schemes/preview', template)).status, 403);

    // A member's own customer: its grade comes from 客户分级, and the drawer shows it.
    const mine = await mapi.post(`/tables/${encodeURIComponent(TABLE)}/records`, { 客户名称: '成员的客户', 历史消费金额: 100 });
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.equal(mine.body[GRADE], '普通客户');
    await mpage.getByTestId(`nav-table-${TABLE}`).click();
    await mpage.getByTestId(`row-open-${mine.body.id}`).click();
    const item = mpage.getByTestId('tier-history').getByTestId('tier-history-item');
    await item.first().waitFor();
    assert.match(await text(item.first()), /^客户等级 （空） → 普通客户 .* 由「客户分级」$/);
  } finally {
    await context.close();
  }
});

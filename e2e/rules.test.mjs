// Rules (规则) and the notification inbox on the `serve --demo` 客户 table: the template's rules are
// listed with their sentences, the table filter shows an empty state; the admin builds a rule
// in the editor (新增记录时, 累计消费金额 > 10000 → add the tag 大客户 and notify the owner), sees
// the live preview agree with POST /api/rules/preview, saves it and finds it in the list with
// its sentence; a customer created through the form then gets the tag, and the bell shows the
// notification, which opens the record. Schedules are picked as 每天/每周/每月 at a time (cron
// is the advanced option); a bad cron is shown at the cron input. Run now and the enabled
// switch on the list, which tells when each rule last fired. The template rule's to-do links
// "the record that triggered the rule", its preview says its side effects in words, and the
// to-dos it creates show 创建人 系统 and the rule in their history. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

const TABLE = '客户';
const RULE = '大客户提醒';
const TAG = '大客户';
const CUSTOMER = '浦东测试大客户有限公司';

let server, browser, page, api;
let tableId, expected, ruleId, recordId;
const step = steps('rules', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const preview = () => page.getByTestId('rule-preview');
const when = () => page.getByTestId('rule-when');
const signed = (n) => (n > 0 ? '+' + n : n < 0 ? '−' + Math.abs(n) : '±0');
const ready = () => waitUntil(async () => (await preview().getAttribute('data-state')) === 'ready', { message: 'the preview to be ready' });

async function rules() {
  const res = await api.get('/rules');
  assert.equal(res.status, 200);
  return res.body.items;
}

async function notifications() {
  const res = await api.get('/notifications?limit=50');
  assert.equal(res.status, 200);
  return res.body;
}

step("the rules page lists the template's rules with their sentences; the table filter", async () => {
  const tbl = await api.get(`/tables/${encodeURIComponent(TABLE)}`);
  assert.equal(tbl.status, 200);
  tableId = tbl.body.id;
  const template = await rules();
  await login(page, server.url);
  const nav = page.getByTestId('nav-rules');
  assert.equal(await text(nav), '规则');
  await nav.click();
  await page.getByTestId('rules-page').waitFor();
  for (const r of template) {
    await untilText(page.getByTestId(`rule-sentence-${r.name}`), r.text);
    assert.equal(await page.getByTestId(`rule-problem-${r.name}`).count(), r.problem ? 1 : 0);
  }
  assert.equal(await page.locator('[data-testid^="rule-row-"][class*="el-card"]').count(), template.length);

  // A table without rules: the empty state, and the filter is kept in the address.
  await chooseOption(page, page.getByTestId('rules-table-filter'), '联系人');
  await untilText(page.getByTestId('rules-empty').locator('.el-empty__description'), '这张表还没有规则');
  const contacts = (await api.get(`/tables/${encodeURIComponent('联系人')}`)).body.id;
  assert.equal(new URL(page.url()).searchParams.get('table'), contacts);
  await chooseOption(page, page.getByTestId('rules-table-filter'), TABLE);
  await page.getByTestId('rules-empty').waitFor({ state: 'detached' });

  // The bell is there for everyone.
  await page.getByTestId('notify-bell').waitFor();
});

step('the editor builds the rule and its live preview agrees with the API', async () => {
  await page.getByTestId('rule-new').click();
  await page.getByTestId('rule-editor').waitFor();
  await untilText(page.getByTestId('rule-preview-hint'), '选择表并把触发时机、条件和动作填写完整后，这里会显示现在执行这条规则会影响哪些记录');
  await page.getByTestId('rule-name').fill(RULE);
  await chooseOption(page, page.getByTestId('rule-table'), TABLE);
  assert.equal(await text(page.getByTestId('trigger-on-0')), '新增记录时');

  // Condition: 累计消费金额 大于 10000.
  await chooseOption(page, when().getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, when().getByTestId('filter-op-0'), '大于');
  await when().getByTestId('filter-value-0').locator('input').fill('10000');

  // Action 1: add the tag 大客户 to 标签.
  await chooseOption(page, page.getByTestId('action-type-0'), '添加标签');
  // The table's only tags field is picked by itself.
  await untilText(page.getByTestId('action-field-0'), '标签');
  await page.getByTestId('action-tag-0').fill(TAG);
  // Action 2: notify the record's owner.
  await page.getByTestId('action-add').click();
  await chooseOption(page, page.getByTestId('action-type-1'), '发送通知');
  assert.equal(await page.getByTestId('action-owner-1').locator('input').isChecked(), true, 'the owner is notified by default');
  await page.getByTestId('action-title-1').fill('大客户：{客户名称}');
  await page.getByTestId('action-body-1').fill('累计消费 {累计消费金额} 元，请尽快跟进');

  const rule = {
    name: RULE, table: tableId, enabled: true, triggers: [{ on: 'created' }],
    when: { and: [{ field: '累计消费金额', op: 'gt', value: 10000 }] }, related: null,
    actions: [
      { type: 'add_tag', field: '标签', tag: TAG },
      { type: 'notify', users: [], roles: [], owner: true, title: '大客户：{客户名称}', body: '累计消费 {累计消费金额} 元，请尽快跟进' },
    ],
  };
  const res = await api.post('/rules/preview', rule);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  expected = res.body;
  assert.ok(expected.matched > 0, 'some demo customers spent over 10000');

  await ready();
  await untilText(page.getByTestId('rule-matched'), `当前有 ${expected.matched} 条记录满足条件`);
  assert.equal(await text(page.getByTestId('rule-text')), expected.text);
  assert.match(expected.text, /^当 新增记录时，如果 累计消费金额 大于 10000，则 /);
  const tagChange = expected.changes.find((c) => c.field === '标签');
  assert.ok(tagChange, 'the preview changes 标签');
  const chips = page.getByTestId('rule-chip');
  assert.equal(await text(chips.first()), `${signed(tagChange.count)} ${TAG}`);
  assert.match(await chips.first().getAttribute('class'), /el-tag--success/);
  assert.equal(await page.getByTestId('rule-sample').count(), Math.min(5, expected.samples.length));

  // A stricter threshold: the preview follows.
  await when().getByTestId('filter-value-0').locator('input').fill('50000');
  const stricter = await api.post('/rules/preview', { ...rule, when: { and: [{ field: '累计消费金额', op: 'gt', value: 50000 }] } });
  assert.ok(stricter.body.matched < expected.matched);
  await untilText(page.getByTestId('rule-matched'), `当前有 ${stricter.body.matched} 条记录满足条件`);
  await when().getByTestId('filter-value-0').locator('input').fill('10000');
  await untilText(page.getByTestId('rule-matched'), `当前有 ${expected.matched} 条记录满足条件`);
});

step('saved, the rule is in the list with its sentence', async () => {
  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/rules');
  await page.getByTestId('rule-save').click();
  const res = await post;
  assert.equal(res.status(), 201);
  ruleId = (await res.json()).id;
  await page.getByTestId('rules-page').waitFor();
  await page.getByTestId(`rule-row-${RULE}`).waitFor();
  const saved = (await rules()).find((r) => r.id === ruleId);
  assert.ok(saved, 'the API lists the rule');
  assert.equal(saved.text, expected.text);
  await untilText(page.getByTestId(`rule-sentence-${RULE}`), expected.text);
  const row = page.getByTestId(`rule-row-${RULE}`);
  assert.equal(await text(row.getByTestId('rule-row-table')), '表: 客户');
  assert.equal(await text(row.getByTestId('rule-row-trigger')), '新增记录时');
  assert.match(await page.getByTestId(`rule-enabled-${RULE}`).getAttribute('class'), /is-checked/);
  assert.equal(await page.getByTestId(`rule-problem-${RULE}`).count(), 0);
  // The list keeps the table filter it was opened with.
  assert.equal(new URL(page.url()).searchParams.get('table'), tableId);
});

step('a customer created through the form gets the tag, and the bell the notification', async () => {
  const before = (await notifications()).unread;
  await page.getByTestId(`nav-table-${TABLE}`).click();
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  await page.getByTestId('form-field-客户名称').locator('input').fill(CUSTOMER);
  await page.getByTestId('form-field-历史消费金额').locator('input').first().fill('23000');
  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/records'));
  await page.getByTestId('record-save').click();
  const res = await post;
  assert.equal(res.status(), 201);
  const made = await res.json();
  recordId = made.id;
  assert.deepEqual(made['标签'], [TAG], 'the rule tags the record in its write');
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  await untilText(page.getByTestId(`cell-${recordId}-标签`), TAG);

  // The notification arrives for the owner (the admin who created it).
  const inbox = await waitUntil(async () => {
    const n = await notifications();
    return n.unread > before && n.items.find((x) => x.title === `大客户：${CUSTOMER}`) ? n : null;
  }, { message: 'the notification' });
  const note = inbox.items.find((x) => x.title === `大客户：${CUSTOMER}`);
  assert.match(note.body, /^累计消费 \S*23,?000\S* 元，请尽快跟进$/, 'the placeholders are filled in');
  assert.equal(note.link, `/t/${tableId}?record=${recordId}`);
  assert.equal(note.read, false);

  // The badge catches up on focus/poll; opening the inbox loads it at once.
  await page.getByTestId('notify-bell').click();
  const item = page.getByTestId(`notify-item-${note.id}`);
  await item.waitFor();
  assert.equal(await text(item.getByTestId('notify-item-title')), `大客户：${CUSTOMER}`);
  assert.equal(await item.getAttribute('data-read'), '0');
  await waitUntil(async () => (await text(page.getByTestId('notify-badge').locator('.el-badge__content'))) === String((await notifications()).unread), { message: 'the badge to show the unread count' });

  // A click marks it read and opens the record.
  await item.click();
  await page.getByTestId('record-form').waitFor();
  await page.getByRole('heading', { name: `编辑记录 #${recordId}`, exact: true }).waitFor();
  assert.equal(await page.getByTestId('form-field-客户名称').locator('input').inputValue(), CUSTOMER);
  await waitUntil(async () => (await notifications()).items.find((x) => x.id === note.id)?.read === true, { message: 'the notification read' });
  assert.equal(new URL(page.url()).searchParams.get('record'), null, 'the record parameter is dropped once opened');
  await page.getByTestId('record-cancel').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });

  // 全部已读 empties the badge.
  if ((await notifications()).unread > 0) {
    await page.getByTestId('notify-bell').click();
    await page.getByTestId('notify-mark-all').click();
    await waitUntil(async () => (await notifications()).unread === 0, { message: 'all read' });
  }
  await waitUntil(async () => !(await page.getByTestId('notify-badge').locator('.el-badge__content').isVisible()), { message: 'the badge hidden' });
});

step('a bad cron shows its message at the cron input, and nothing is saved', async () => {
  await page.getByTestId('nav-rules').click();
  await page.getByTestId(`rule-edit-${RULE}`).click();
  await page.getByTestId('rule-editor').waitFor();
  assert.equal(await page.getByTestId('rule-name').inputValue(), RULE);
  await ready();

  await chooseOption(page, page.getByTestId('trigger-on-0'), '定时');
  // Picked as 每天/每周/每月 at a time: every day at 09:00 to start with, then weekdays.
  assert.equal(await text(page.getByTestId('trigger-mode-0')), '每天');
  assert.equal(await text(page.getByTestId('trigger-schedule-text-0')), '每天 09:00');
  await chooseOption(page, page.getByTestId('trigger-mode-0'), '每周');
  for (const d of [2, 3, 4, 5]) await page.getByTestId(`trigger-weekday-0-${d}`).click();
  await untilText(page.getByTestId('trigger-schedule-text-0'), '每周一、二、三、四、五 09:00');
  await ready();
  // Cron is the advanced option, starting from what was picked.
  await chooseOption(page, page.getByTestId('trigger-mode-0'), '高级（cron）');
  assert.equal(await page.getByTestId('trigger-cron-0').inputValue(), '0 9 * * 1-5');
  await page.getByTestId('trigger-cron-0').fill('99 9 * * *');

  const bad = await api.post('/rules/preview', { name: RULE, table: tableId, triggers: [{ on: 'schedule', cron: '99 9 * * *' }], when: null, actions: [{ type: 'add_tag', field: '标签', tag: TAG }] });
  assert.equal(bad.status, 400);
  const detail = bad.body.error.details[0];
  assert.equal(detail.path, 'triggers[0].cron');
  const shown = detail.message.split(detail.path).join('时机 1');
  const at = page.getByTestId('trigger-item-cron-0').locator('.el-form-item__error');
  await untilText(at, shown);
  assert.match(shown, /定时「99 9 \* \* \*」有误/);
  assert.equal(await preview().getAttribute('data-state'), 'error');

  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/rules/${ruleId}`);
  await page.getByTestId('rule-save').click();
  assert.equal((await put).status(), 400);
  await page.locator('.el-message--error').filter({ hasText: '保存失败，请按提示修改' }).waitFor();
  await untilText(at, shown);
  const kept = (await rules()).find((r) => r.id === ruleId);
  assert.deepEqual(kept.triggers, [{ on: 'created' }], 'nothing was saved');

  // Leaving with changes asks first.
  await page.getByTestId('rule-back').click();
  const box = page.locator('.el-message-box');
  await box.waitFor();
  await box.getByRole('button', { name: '离开' }).click();
  await page.getByTestId('rules-page').waitFor();
});

step('on the list: run now, switch off and on', async () => {
  await page.getByTestId(`rule-run-${RULE}`).click();
  const result = page.getByTestId(`rule-run-result-${RULE}`);
  await result.waitFor();
  assert.match(await text(result), /^满足条件 \d+ 条，修改 \d+ 条，待处理 \d+ 条$/);

  const sw = page.getByTestId(`rule-enabled-${RULE}`);
  await sw.click();
  await waitUntil(async () => !/is-checked/.test(await sw.getAttribute('class')), { message: 'the switch off' });
  await waitUntil(async () => (await rules()).find((r) => r.id === ruleId).enabled === false, { message: 'the rule disabled' });
  const after = (await rules()).find((r) => r.id === ruleId);
  assert.equal(after.text, expected.text, 'switching keeps the rule as it was');
  await sw.click();
  await waitUntil(async () => (await rules()).find((r) => r.id === ruleId).enabled === true, { message: 'the rule enabled' });
});

step('a schedule opens in the mode that says it, and saves as cron', async () => {
  const make = async (name, cron) => {
    const res = await api.post('/rules', { name, table: tableId, enabled: false, triggers: [{ on: 'schedule', cron }], actions: [{ type: 'add_tag', field: '标签', tag: TAG }] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const monthly = await make('每月十五号', '30 8 15 * *');
  const advanced = await make('每五分钟', '*/5 * * * *');
  await page.reload();
  await page.getByTestId('rules-page').waitFor();
  assert.equal(await text(page.getByTestId(`rule-row-${monthly.name}`).getByTestId('rule-row-trigger')), '每月 15 日 08:30');
  assert.equal(await text(page.getByTestId(`rule-row-${advanced.name}`).getByTestId('rule-row-trigger')), '定时 */5 * * * *');
  assert.equal(monthly.text.startsWith('当 每月 15 日 08:30，'), true, monthly.text);

  await page.getByTestId(`rule-edit-${monthly.name}`).click();
  await page.getByTestId('rule-editor').waitFor();
  assert.equal(await text(page.getByTestId('trigger-mode-0')), '每月');
  assert.equal(await text(page.getByTestId('trigger-month-day-0')), '15 日');
  assert.equal(await text(page.getByTestId('trigger-time-0')), '08:30');
  await chooseOption(page, page.getByTestId('trigger-mode-0'), '每天');
  await untilText(page.getByTestId('trigger-schedule-text-0'), '每天 08:30');
  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/rules/${monthly.id}`);
  await page.getByTestId('rule-save').click();
  assert.equal((await put).status(), 200);
  assert.deepEqual((await rules()).find((r) => r.id === monthly.id).triggers, [{ on: 'schedule', cron: '30 8 * * *' }]);

  await page.getByTestId('rules-page').waitFor();
  await page.getByTestId(`rule-edit-${advanced.name}`).click();
  await page.getByTestId('rule-editor').waitFor();
  assert.equal(await text(page.getByTestId('trigger-mode-0')), '高级（cron）');
  assert.equal(await page.getByTestId('trigger-cron-0').inputValue(), '*/5 * * * *');
  await page.getByTestId('rule-back').click();
  await page.getByTestId('rules-page').waitFor();
  for (const r of [monthly, advanced]) assert.equal((await api('DELETE', `/rules/${r.id}`)).status, 200);
});

step('the list tells when each rule last fired and how often', async () => {
  await page.reload();
  await page.getByTestId('rules-page').waitFor();
  const mine = (await rules()).find((r) => r.id === ruleId);
  assert.ok(mine.fired >= 1 && mine.lastFired, `the rule fired: ${JSON.stringify(mine)}`);
  assert.match(await text(page.getByTestId(`rule-last-fired-${RULE}`)), new RegExp(`^上次触发 .+ · 共 ${mine.fired.toLocaleString()} 次$`));
  const quiet = await api.post('/rules', { name: '从未触发', table: tableId, enabled: true, triggers: [{ on: 'deleted' }], actions: [{ type: 'notify', owner: true, title: '删除了' }] });
  assert.equal(quiet.status, 201, JSON.stringify(quiet.body));
  await page.reload();
  await untilText(page.getByTestId('rule-last-fired-从未触发'), '尚未触发');
  assert.equal((await api('DELETE', `/rules/${quiet.body.id}`)).status, 200);
});

step("the template rule's to-do links the record that triggered it, and its preview says its side effects", async () => {
  const follow = (await rules()).find((r) => r.name === '高价值客户跟进');
  const link = follow.actions[0].valuesByName['关联客户'];
  assert.equal(link, '=ID', 'the template links the triggering record');
  await page.getByTestId('rule-edit-高价值客户跟进').click();
  await page.getByTestId('rule-editor').waitFor();
  const rows = page.locator('[data-testid^="action-values-0-"]');
  const row = rows.filter({ has: page.getByTestId(/^action-values-field-0-/).filter({ hasText: '关联客户' }) });
  await row.waitFor();
  const source = row.locator('[data-testid^="action-values-source-0-"]');
  assert.equal(await text(source.locator('.el-radio-button.is-active')), '触发规则的记录');
  assert.equal(await row.locator('[data-testid^="action-values-formula-"]').count(), 0, 'no =ID formula to guess');

  const res = await api.post('/rules/preview', follow);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.effectsText, /^将创建 [\d,]+ 条待办任务，发送 [\d,]+ 条通知$/);
  await ready();
  await untilText(page.getByTestId('rule-effects'), res.body.effectsText);

  // Saved unchanged, the link is still the triggering record.
  const put = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === `/api/rules/${follow.id}`);
  await page.getByTestId('rule-save').click();
  assert.equal((await put).status(), 200);
  assert.equal((await rules()).find((r) => r.id === follow.id).actions[0].valuesByName['关联客户'], '=ID');
});

step('a to-do the rule creates shows 创建人 系统 and names the rule in its history', async () => {
  const day = new Date(Date.now() - 86400_000).toISOString().slice(0, 10);
  const made = await api.post(`/tables/${encodeURIComponent(TABLE)}/records`, { 客户名称: '自动跟进测试客户', 历史最近消费日: day, 历史购买次数: 9, 历史消费金额: 88000 });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body['客户等级'], '高价值客户');
  const filter = JSON.stringify({ field: '关联客户', op: 'eq', value: made.body.id });
  const task = await waitUntil(async () => (await api.records('待办任务', { filter })).items[0], { message: 'the to-do' });
  assert.equal(task['创建人'], 0, 'the system created it');

  await page.getByTestId('nav-table-待办任务').click();
  await page.getByTestId(`row-${task.id}`).waitFor();
  await untilText(page.getByTestId(`cell-${task.id}-创建人`), '系统');
  await page.getByTestId(`row-history-${task.id}`).click();
  const panel = page.getByTestId('history-panel');
  const created = panel.getByTestId('history-item').last();
  await untilText(created.getByTestId('history-user'), '系统（规则「高价值客户跟进」）');
  assert.equal(await created.getByTestId('history-change').filter({ hasText: '规则' }).count(), 0);
});

// Webhooks and API tokens (S10: orders pushed to the ERP; other systems reading the CRM):
// the admin adds a webhook on the Webhook page pointing at a real receiver started here that
// verifies the Standard Webhooks signature with the secret shown once; an intranet address is
// refused at the URL input; 发送测试事件 reaches the receiver and shows in the delivery log; a
// new 客户 arrives as record.created, and 重发 sends it again with the same webhook-id; a rule
// built in the editor calls the webhook with a body mapped from the record. Then a read-only
// token made on the API 令牌 page reads records with fetch() and may not write; both pages fit
// a phone.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { session, login, steps, chooseOption, waitUntil, untilText, text } from './lib.mjs';

// until waits for the locator's text to contain part.
const until = (locator, part) => waitUntil(async () => (await text(locator)).includes(part), { message: `a text with "${part}"` });

let server, browser, page, api;
const step = steps('webhooks', () => page);
session(['--demo', '--allow-outbound', '127.0.0.1'], {}, (s) => ({ server, browser, page, api } = s));

// The receiver: verifies webhook-signature as the Standard Webhooks specification says.
let secret = '';
const received = [];
const rejected = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const id = req.headers['webhook-id'];
    const ts = req.headers['webhook-timestamp'];
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    const want = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
    const sigs = String(req.headers['webhook-signature'] || '').split(' ');
    if (!secret || !sigs.includes(want) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) {
      rejected.push(id);
      res.statusCode = 401;
      res.end('bad signature');
      return;
    }
    received.push({ id, body: JSON.parse(body) });
    res.end('ok');
  });
});

step('the admin adds a webhook; an intranet address is refused at the URL; the secret is shown once', async () => {
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  await login(page, server.url);
  await page.getByTestId('nav-system').click();
  await page.getByTestId('nav-webhooks').click();
  await page.getByTestId('webhooks-page').waitFor();
  await page.getByTestId('webhook-new').click();
  await page.getByTestId('webhook-name').fill('ERP');
  await page.getByTestId('webhook-url').fill('http://10.0.0.8/hooks');
  await chooseOption(page, page.getByTestId('webhook-table'), '客户');
  await page.getByTestId('webhook-event-flow_approved').click(); // S10: an order approved is pushed to the ERP
  assert.equal(await page.getByTestId('webhook-event-flow_rejected').count(), 1);
  await page.getByTestId('webhook-save').click();
  await waitUntil(async () => /不能向「http:\/\/10\.0\.0\.8\/hooks」发送.*允许列表/.test(await text(page.getByTestId('webhook-url-item').locator('.el-form-item__error'))), {
    message: 'the refusal at the URL input',
  });
  await page.getByTestId('webhook-url').fill(`http://127.0.0.1:${receiver.address().port}/hooks`);
  await page.getByTestId('webhook-save').click();
  const shown = page.getByTestId('webhook-secret-dialog');
  await shown.waitFor();
  await until(shown, '只显示这一次');
  secret = await page.getByTestId('webhook-secret').inputValue();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  await page.getByTestId('webhook-secret-done').click();
  await page.getByTestId('webhook-ERP').waitFor();
  await until(page.getByTestId('webhook-ERP'), '新增记录');
  await until(page.getByTestId('webhook-ERP'), '流程审批通过');
  assert.ok(!(await page.getByTestId('webhooks-page').innerText()).includes(secret), 'the secret is not on the page once closed');
});

step('发送测试事件 reaches the receiver, signed, and shows in the delivery log', async () => {
  await page.getByTestId('webhook-test-ERP').click();
  await waitUntil(async () => received.length === 1, { message: 'the test event to arrive' });
  assert.equal(received[0].body.type, 'webhook.test');
  assert.equal(received[0].body.data.table, '客户');
  await page.getByTestId('webhook-log-ERP').click();
  const log = page.getByTestId('webhook-log');
  await log.locator('[data-testid^="webhook-delivery-"]').first().waitFor();
  await until(log.locator('[data-testid^="webhook-delivery-"]').first(), '测试事件');
  await until(log.locator('[data-testid^="webhook-delivery-"]').first(), '成功');
});

step('a new 客户 arrives as record.created; 重发 sends it again with the same webhook-id', async () => {
  const res = await api.post(`/tables/${encodeURIComponent('客户')}/records`, { 客户名称: '浦东推送测试有限公司', 历史消费金额: 1234 });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await waitUntil(async () => received.length === 2, { message: 'the record event to arrive', timeout: 20_000 });
  const ev = received[1];
  assert.equal(ev.body.type, 'record.created');
  assert.equal(ev.body.data.id, res.body.id);
  assert.equal(ev.body.data.record['客户名称'], '浦东推送测试有限公司');
  assert.deepEqual(rejected, []);

  const log = page.getByTestId('webhook-log');
  const created = log.locator('[data-testid^="webhook-delivery-"]').filter({ hasText: '新增记录' });
  await waitUntil(async () => {
    await log.getByTestId('webhook-log-refresh').click();
    return (await created.count()) === 1;
  }, { message: 'the record event in the log' });
  await created.first().locator('[data-testid^="webhook-replay-"]').click();
  await waitUntil(async () => received.length === 3, { message: 'the replay to arrive', timeout: 20_000 });
  assert.equal(received[2].id, ev.id);
  assert.equal(received[2].body.data.id, res.body.id);
  await page.keyboard.press('Escape');
});

step('a rule built in the editor calls the webhook with a body mapped from the new 客户', async () => {
  await page.goto(server.url + '/rules/new');
  await page.getByTestId('rule-editor').waitFor();
  await page.getByTestId('rule-preview-hint').waitFor();
  await page.getByTestId('rule-name').fill('推送新客户到 ERP');
  await chooseOption(page, page.getByTestId('rule-table'), '客户');
  const when = page.getByTestId('rule-when');
  await chooseOption(page, when.getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, when.getByTestId('filter-op-0'), '大于');
  await when.getByTestId('filter-value-0').locator('input').fill('100');
  await chooseOption(page, page.getByTestId('action-type-0'), '调用 Webhook');
  await chooseOption(page, page.getByTestId('action-webhook-0'), `ERP（http://127.0.0.1:${receiver.address().port}/hooks）`);
  await page.getByTestId('action-payload-key-0-0').fill('customer');
  await page.getByTestId('action-payload-value-0-0').fill('{客户名称}');
  await page.getByTestId('action-payload-add-0').click();
  await page.getByTestId('action-payload-key-0-1').fill('amount');
  await page.getByTestId('action-payload-value-0-1').fill('{累计消费金额}');
  await waitUntil(async () => (await text(page.getByTestId('rule-text'))).includes('调用 Webhook，发送 amount、customer'), { message: 'the rule sentence' });
  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/rules');
  await page.getByTestId('rule-save').click();
  assert.equal((await post).status(), 201);

  const before = received.length;
  const res = await api.post(`/tables/${encodeURIComponent('客户')}/records`, { 客户名称: '规则推送测试有限公司', 历史消费金额: 8800 });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await waitUntil(async () => received.some((m) => m.body.customer === '规则推送测试有限公司'), { message: 'the call to arrive', timeout: 20_000 });
  assert.deepEqual(received.find((m) => m.body.customer).body, { customer: '规则推送测试有限公司', amount: 8800 });
  assert.equal(received.length, before + 2); // the record event and the rule's call
  assert.deepEqual(rejected, []);
  receiver.close();
});

step('a read-only token made on the API 令牌 page reads records and may not write', async () => {
  await page.getByTestId('user-menu').click();
  await page.getByTestId('nav-tokens').click();
  await page.getByTestId('tokens-page').waitFor();
  await page.getByTestId('token-new').click();
  await page.getByTestId('token-name').fill('BI 只读');
  await chooseOption(page, page.getByTestId('token-tables'), '客户');
  await page.getByTestId('token-name').click(); // close the table list
  await page.getByTestId('token-read-only').click();
  await page.getByTestId('token-create').click();
  const shown = page.getByTestId('token-shown');
  await shown.waitFor();
  await until(shown, '只显示这一次');
  const token = await page.getByTestId('token-value').inputValue();
  assert.match(token, /^tb_/);
  await page.getByTestId('token-shown-done').click();
  const row = page.getByTestId('token-BI 只读');
  await row.waitFor();
  await until(row, '只读');
  await until(row, '从未使用');
  assert.ok(!(await row.innerText()).includes(token));

  const call = (method, path, body) =>
    page.evaluate(
      async ({ method, path, body, token }) => {
        const res = await fetch(path, {
          method,
          credentials: 'omit',
          headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, body: await res.json() };
      },
      { method, path, body, token },
    );
  const read = await call('GET', `/api/tables/${encodeURIComponent('客户')}/records?limit=5`);
  assert.equal(read.status, 200, JSON.stringify(read.body));
  assert.ok(read.body.items.length > 0);
  const write = await call('POST', `/api/tables/${encodeURIComponent('客户')}/records`, { 客户名称: '不该写入' });
  assert.equal(write.status, 403);
  assert.equal(write.body.error.code, 'token_read_only');
  assert.match(write.body.error.message, /只读/);

  await page.reload();
  await until(page.getByTestId('token-used-BI 只读'), '最近使用');
  await page.getByTestId('token-revoke-BI 只读').click();
  await page.locator('.el-message-box').getByRole('button', { name: '撤销' }).click();
  await untilText(page.getByTestId('token-state-BI 只读'), '已撤销');
  const after = await call('GET', `/api/tables/${encodeURIComponent('客户')}/records?limit=5`);
  assert.equal(after.status, 401);
  assert.equal(after.body.error.code, 'token_revoked');
});

step('on a phone both pages fit the screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [path, id] of [['/admin/webhooks', 'webhooks-page'], ['/tokens', 'tokens-page']]) {
    await page.goto(server.url + path);
    const el = page.getByTestId(id);
    await el.locator('.el-card').first().waitFor();
    const { scroll, width } = await el.evaluate((e) => ({ scroll: e.scrollWidth, width: e.clientWidth }));
    assert.ok(scroll <= width, `${path}: ${scroll} > ${width}`);
  }
  await page.screenshot({ path: '/tmp/tb-e2e-webhooks-phone.png' });
});

// 群机器人 (S10: a new key customer announced in a 企业微信 group): the admin adds a 钉钉 robot
// with its 加签 secret on the 群机器人 page, pointing at a real HTTP receiver started here that
// checks the signature as 钉钉 does; 发送测试 reaches it, and the address never comes back to the
// page. A rule built in the editor posts to that robot when a big customer is created: the
// message carries the customer's name, the 敏感 phone masked, and the @ of the phone field.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { session, login, steps, chooseOption, waitUntil, untilText, text } from './lib.mjs';

const SECRET = 'SECe2e-robot-secret';
const TOKEN = 'e2e-access-token-42';
let server, browser, page, api;
const step = steps('robots', () => page);
session(['--demo', '--public-url', 'https://crm.example.com', '--allow-outbound', '127.0.0.1'], {}, (s) => ({ server, browser, page, api } = s));

// The receiver: 钉钉's robot/send, verifying access_token, timestamp and sign.
const received = [];
let receiverURL;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const q = new URL(req.url, 'http://x').searchParams;
    const ts = q.get('timestamp');
    const sign = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
    res.setHeader('Content-Type', 'application/json');
    if (q.get('access_token') !== TOKEN || q.get('sign') !== sign || Math.abs(Date.now() - Number(ts)) > 3600_000) {
      res.end(JSON.stringify({ errcode: 310000, errmsg: 'sign not match' }));
      return;
    }
    received.push(JSON.parse(body));
    res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }));
  });
});

step('the admin adds a 钉钉 robot; 发送测试 reaches the group; the address is never shown again', async () => {
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  receiverURL = `http://127.0.0.1:${receiver.address().port}/robot/send?access_token=${TOKEN}`;
  await login(page, server.url);
  await page.getByTestId('nav-system').click();
  await page.getByTestId('nav-robots').click();
  await page.getByTestId('robots-page').waitFor();
  await page.getByTestId('robot-new').click();
  await page.getByTestId('robot-name').fill('销售群');
  await page.getByTestId('robot-kind-dingtalk').click();
  // A wrong address is refused at the input, saying what one looks like.
  await page.getByTestId('robot-url').fill('https://oapi.dingtalk.com/robot/send');
  await page.getByTestId('robot-save').click();
  await waitUntil(async () => /Webhook 地址.*access_token=/.test(await text(page.getByTestId('robot-dialog').locator('.el-form-item__error'))), { message: 'the address error' });
  await page.getByTestId('robot-url').fill(receiverURL);
  await page.getByTestId('robot-secret').fill(SECRET);
  await page.getByTestId('robot-save').click();
  const row = page.getByTestId('robot-销售群');
  await row.waitFor();
  const shown = await row.innerText();
  assert.ok(!shown.includes(TOKEN) && shown.includes('access_token=e2e-****'), shown);
  assert.ok(!(await page.content()).includes(SECRET));

  await page.getByTestId('robot-test-销售群').click();
  await waitUntil(async () => received.length === 1, { message: 'the test message to arrive' });
  assert.match(received[0].text.content, /测试消息/);
  await page.getByTestId('robot-log-销售群').click();
  await page.getByTestId('robot-log').locator('[data-testid^="delivery-"]').first().waitFor();
  await untilText(page.getByTestId('robot-log').locator('.el-tag').first(), '成功');
});

step('a rule posts new big customers to the group, the phone masked and @-ed', async () => {
  const robots = (await api.get('/robots')).body.items;
  assert.equal(robots.length, 1);
  await page.goto(server.url + '/rules/new');
  await page.getByTestId('rule-editor').waitFor();
  await page.getByTestId('rule-preview-hint').waitFor(); // the editor has loaded what it needs
  await page.getByTestId('rule-name').fill('大客户播报');
  await chooseOption(page, page.getByTestId('rule-table'), '客户');
  const when = page.getByTestId('rule-when');
  await chooseOption(page, when.getByTestId('filter-field-0'), '累计消费金额');
  await chooseOption(page, when.getByTestId('filter-op-0'), '大于');
  await when.getByTestId('filter-value-0').locator('input').fill('100000');
  await chooseOption(page, page.getByTestId('action-type-0'), '发到群机器人或邮箱');
  await chooseOption(page, page.getByTestId('action-robot-0'), '销售群（钉钉）');
  await page.getByTestId('action-title-0').fill('新重点客户');
  await page.getByTestId('action-body-0').fill('客户「{客户名称}」电话 {联系电话}');
  await chooseOption(page, page.getByTestId('action-at-0'), '字段「联系电话」中的手机号');
  await waitUntil(async () => (await text(page.getByTestId('rule-text'))).includes('发到群机器人「新重点客户」'), { message: 'the rule sentence' });
  const post = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/rules');
  await page.getByTestId('rule-save').click();
  assert.equal((await post).status(), 201);
  const saved = (await api.get('/rules')).body.items.find((r) => r.name === '大客户播报');
  assert.deepEqual(saved.actions[0].at, ['{联系电话}']);

  const res = await api.post(`/tables/${encodeURIComponent('客户')}/records`, { 客户名称: '浦东播报测试有限公司', 历史消费金额: 250000, 联系电话: '13812345678' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await waitUntil(async () => received.length === 2, { message: 'the rule\'s message to arrive', timeout: 20_000 });
  const m = received[1];
  assert.match(m.text.content, /客户「浦东播报测试有限公司」电话 138\*\*\*\*5678/);
  assert.ok(!m.text.content.includes('13812345678 '), m.text.content);
  assert.match(m.text.content, new RegExp(`https://crm.example.com/t/[a-z0-9]+\\?record=${res.body.id}`));
  assert.deepEqual(m.at.atMobiles, ['13812345678']);
  receiver.close();
});

step('a company mailbox is entered field by field and kept as one address, its password never shown', async () => {
  await page.goto(server.url + '/admin/robots');
  await page.getByTestId('robot-new').click();
  await page.getByTestId('robot-name').fill('销售部邮箱');
  await page.getByTestId('robot-kind-email').click();
  await page.getByTestId('smtp-host').fill('smtp.exmail.qq.com');
  await page.getByTestId('smtp-security').getByText('SSL/TLS').click();
  await page.getByTestId('smtp-from').fill('crm@example.com');
  await page.getByTestId('robot-secret').fill('mail-password-1');
  await page.getByTestId('robot-save').click();
  const row = page.getByTestId('robot-销售部邮箱');
  await row.waitFor();
  assert.match(await row.innerText(), /smtps:\/\/smtp\.exmail\.qq\.com:465\?from=crm@example\.com/);
  assert.ok(!(await page.content()).includes('mail-password-1'));
  // Editing shows the fields again from the kept address.
  await page.getByTestId('robot-edit-销售部邮箱').click();
  assert.equal(await page.getByTestId('smtp-host').inputValue(), 'smtp.exmail.qq.com');
  assert.equal(await page.getByTestId('smtp-from').inputValue(), 'crm@example.com');
});

// S6 报价审批 on the demo, as the people do it: 李娜 (销售) starts the template's flow on her
// ¥150,000 quote from its record page; 张伟 (销售总监) approves it in the 待办中心, which passes
// it on to 周敏 (财务总监), since it is over ¥100,000; she approves it; the quote reads 已批准 and
// a 合同 with an HT- number appears in the 合同 table, linked to the quote, its history naming
// the flow that made it.
import assert from 'node:assert/strict';
import { session, newPage, login, apiClient, steps, waitUntil, text, untilText } from './lib.mjs';

let server, browser, page;
let current;
const step = steps('s6', () => current);
session(['--demo'], {}, (s) => {
  ({ server, browser, page } = s);
  current = page;
});

const demo = (name) => ({ email: `${name}@demo.tierbase`, password: 'tierbase-demo' });
let quotes, quote, contracts;

step('李娜 starts 报价审批 on her ¥150,000 quote from its page', async () => {
  const lina = await apiClient(server.url, demo('lina'));
  quotes = (await lina.get('/tables/报价单')).body.id;
  contracts = (await lina.get('/tables/合同')).body.id;
  const customer = (await lina.records('客户', { limit: 1 })).items[0];
  const made = await lina.post('/tables/报价单/records', { 客户: customer.id, 报价金额: 150000, 状态: '草稿', 报价说明: 'S6 浏览器测试' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  quote = made.body;
  await login(page, server.url, demo('lina'));
  await page.goto(`${server.url}/t/${quotes}?record=${quote.id}`);
  await page.getByTestId('flow-start-open').click();
  await waitUntil(async () => /销售总监/.test(await text(page.getByTestId('flow-start-text'))), { message: 'the flow\'s summary' });
  await page.getByTestId('flow-start-submit').click();
  const inst = page.getByTestId('record-flows').getByTestId('record-flow-报价审批');
  await inst.waitFor();
  assert.equal(await inst.getAttribute('data-state'), 'running');
});

async function approveIn(name, comment) {
  current = await newPage(browser);
  await login(current, server.url, demo(name));
  await current.goto(`${server.url}/todo`);
  await current.getByTestId('todo-center').waitFor();
  const row = current.locator('.todo-table tr', { has: current.getByTestId(`todo-row-${quote['报价单号']}`) });
  await row.click();
  const panel = current.getByTestId('task-panel');
  await untilText(panel.getByTestId('task-record-title'), quote['报价单号']);
  await panel.getByTestId('task-comment').fill(comment);
  await panel.getByTestId('task-approve').click();
  await waitUntil(async () => (await row.count()) === 0, { message: `${name}'s task to leave 待我处理` });
}

step('张伟 approves it in the 待办中心; over ¥100,000 it goes on to 周敏', async () => {
  await approveIn('zhangwei', '价格合理');
  const inst = (await (await apiClient(server.url, demo('zhoumin'))).get('/tasks?box=todo')).body.items;
  assert.ok(inst.some((it) => it.record === quote.id), 'a task of the quote for 周敏');
});

step('周敏 approves it; the quote is 已批准 and a 合同 with an HT- number links to it', async () => {
  await approveIn('zhoumin', '同意签约');
  current = page;
  await page.goto(`${server.url}/t/${quotes}?record=${quote.id}`);
  const inst = page.getByTestId('record-flows').getByTestId('record-flow-报价审批');
  await waitUntil(async () => (await inst.getAttribute('data-state')) === 'approved', { message: 'the flow approved' });
  const events = (await inst.getByTestId('flow-event').allInnerTexts()).join('\n');
  assert.match(events, /张伟[\s\S]*价格合理/);
  assert.match(events, /周敏[\s\S]*同意签约/);
  const lina = await apiClient(server.url, demo('lina'));
  assert.equal((await lina.get(`/tables/报价单/records/${quote.id}`)).body['状态'], '已批准');
  const zhoumin = await apiClient(server.url, demo('zhoumin'));
  const made = (await zhoumin.records('合同', { limit: 200 })).items.filter((c) => c['报价单'] === quote.id);
  assert.equal(made.length, 1, 'one 合同 for the quote');
  assert.match(made[0]['合同编号'], /^HT-\d{8}-\d{4}$/);
  assert.equal(Number(made[0]['金额']), 150000);
  // 周敏 sees it in the 合同 grid.
  current = await newPage(browser);
  await login(current, server.url, demo('zhoumin'));
  await current.goto(`${server.url}/t/${contracts}`);
  await waitUntil(async () => (await text(current.getByTestId(`row-${made[0].id}`))).includes(made[0]['合同编号']), { message: 'the 合同 in the grid' });
  // The flow made it, as the system naming the flow, not 周敏 who approved last.
  await current.getByTestId(`row-history-${made[0].id}`).click();
  const items = current.getByTestId('history-panel').getByTestId('history-item');
  await waitUntil(async () => (await items.count()) === 1, { message: 'the 合同\'s creation in its history' });
  assert.equal(await text(items.first().getByTestId('history-user')), '流程：报价审批');
});

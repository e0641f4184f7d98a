// RFM out of the box, on `serve --demo` (the template installed with 2000 customers and their
// 订单): the template's RFM model ran at install, so the RFM 矩阵 board draws; the RFM page
// (beside 分级方案) shows the model's settings and its last run (when, how many customers, how
// long); switching to the English segments and running now shows progress, then the new last
// run, and the customers get English segments. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil, text } from './lib.mjs';

let server, browser, page, api;
let kept; // the template's model as GET /api/rfm answers it
const step = steps('rfm', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const ENGLISH = ['Champions', 'Loyal Customers', 'Potential Loyalist', 'New Customers', 'Promising', 'Need Attention',
  'About To Sleep', "Can't Lose Them", 'At Risk', 'Lost', 'Hibernating'];
const model = () => page.getByTestId('rfm-model-客户');
const models = async () => {
  const res = await api.get('/rfm');
  assert.equal(res.status, 200);
  return res.body.items;
};

step('the template kept its RFM model and ran it at install', async () => {
  [kept] = await models();
  assert.ok(kept, 'no RFM model after installing the template');
  assert.equal(kept.orders, '订单');
  assert.ok(kept.lastRun && kept.lastRun.scored > 100, `last run ${JSON.stringify(kept.lastRun)}`);
});

step('the RFM 矩阵 board draws', async () => {
  await login(page, server.url);
  const board = (await api.get('/dashboards/' + encodeURIComponent('RFM 矩阵'))).body;
  await page.goto(server.url + '/dashboards/' + board.id);
  const card = page.getByTestId(`chart-${board.charts[0].title}`);
  await card.locator('canvas').first().waitFor();
  assert.equal(await card.getByTestId('chart-error').count(), 0);
  assert.ok(!(await text(page.locator('body'))).includes('还没有 R分'));
});

step('the RFM page beside 分级方案 shows the settings and the last run', async () => {
  await page.getByTestId('nav-rfm').click();
  await model().waitFor();
  assert.match(await text(model().getByTestId('rfm-table')), /客户/);
  assert.match(await text(model().getByTestId('rfm-orders')), /订单/);
  assert.match(await text(model().getByTestId('rfm-order-date')), /下单日期/);
  assert.match(await text(model().getByTestId('rfm-order-amount')), /订单金额/);
  const last = await text(model().getByTestId('rfm-last-run'));
  assert.ok(last.includes(kept.lastRun.scored.toLocaleString('zh-CN')) && last.includes('上次运行'), last);
});

step('run now with the English segments: progress, then the new last run', async () => {
  // Hold the run a moment so that its progress can be seen.
  await page.route('**/api/rfm', async (route) => {
    if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await model().getByTestId('rfm-segments').getByText('英文 11 群').click();
  await model().getByTestId('rfm-run').click();
  const progress = model().getByTestId('rfm-progress');
  await progress.waitFor();
  assert.match(await text(progress), /正在计算/);
  await progress.waitFor({ state: 'detached' });
  await page.unroute('**/api/rfm');
  assert.equal(await model().getByTestId('rfm-error').count(), 0);
  const [now] = await waitUntil(async () => {
    const m = await models();
    return m[0].segments === 'en' && m[0].lastRun.at >= kept.lastRun.at && m;
  }, { message: 'the model saved with English segments' });
  assert.equal(now.lastRun.scored, kept.lastRun.scored);
  const best = (await api.records('客户', { sort: '-R分', limit: 50 })).items;
  assert.ok(best.every((c) => c['RFM分群'] && ENGLISH.includes(c['RFM分群'])), JSON.stringify(best.map((c) => c['RFM分群'])));
  const last = await text(model().getByTestId('rfm-last-run'));
  assert.ok(last.includes(now.lastRun.scored.toLocaleString('zh-CN')), last);
});

// 数据看板 on the `serve --demo` data (2000 customers, graded, the default dashboards): the
// 客户分级看板 draws its charts (ECharts canvases with the series of the API's data, the
// indicators' numbers); a click on a pie slice opens the 客户 list filtered to that tier, with
// the filter's sentence shown and the count of the slice; a chart over a deleted field shows its
// explanation while the others still draw. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { session, login, steps, waitUntil } from './lib.mjs';

let server, browser, page, api;
let board; // 客户分级看板 as GET /api/dashboards/{id} answers it
let pieData; // its pie's data
const step = steps('dashboards', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const chartOf = (title) => page.getByTestId(`chart-${title}`);

step('the 客户分级看板 draws its charts', async () => {
  const list = await api.get('/dashboards');
  assert.equal(list.status, 200);
  const names = list.body.items.map((d) => d.name);
  for (const n of ['客户分级看板', 'RFM 矩阵', '客户地区分布', '团队业绩']) assert.ok(names.includes(n), `dashboard ${n} in ${names}`);
  board = (await api.get('/dashboards/' + encodeURIComponent('客户分级看板'))).body;
  const pie = board.charts.find((c) => c.title === '客户等级分布');
  pieData = (await api.get(`/charts/${pie.id}/data`)).body;
  assert.ok(pieData.rows.length >= 2, 'the demo has several tiers');

  await login(page, server.url);
  await page.getByTestId('nav-dashboards').click();
  await page.getByTestId('dashboard-grid').waitFor();
  // The first dashboard is 客户分级看板; each ECharts chart has a canvas and its data drawn.
  for (const title of ['客户等级分布', '高价值客户来源', '每月新增高价值客户']) {
    const c = chartOf(title);
    await c.locator('canvas').first().waitFor();
    const points = Number(await c.locator('.echart').getAttribute('data-points'));
    assert.ok(points > 0, `${title} draws data`);
  }
  const drawn = await chartOf('客户等级分布').locator('.echart').evaluate((el) => el.__chart.getOption().series[0].data.map((d) => [d.name, d.value]));
  assert.deepEqual(drawn, pieData.rows.map((r) => [r.keys[0], r.values[0]]));
  // The indicator shows the API's number.
  const total = board.charts.find((c) => c.title === '高价值客户数');
  const value = (await api.get(`/charts/${total.id}/data`)).body.value;
  await waitUntil(async () => (await chartOf('高价值客户数').getByTestId('indicator-value').textContent()).replace(/,/g, '') === String(value));
});

step('a click on a pie slice lands on the filtered 客户 list', async () => {
  const slice = pieData.rows[0];
  const tier = slice.keys[0];
  // The middle of the first slice, from the chart's own layout.
  const point = await chartOf('客户等级分布').locator('.echart').evaluate((el) => {
    const layout = el.__chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
    const angle = (layout.startAngle + layout.endAngle) / 2;
    const r = (layout.r + (layout.r0 || 0)) / 2;
    return { x: layout.cx + r * Math.cos(angle), y: layout.cy + r * Math.sin(angle) };
  });
  await chartOf('客户等级分布').locator('.echart').click({ position: point });
  await page.waitForURL(/\/t\/tbl[^?]*\?filter=/);
  const sentence = page.getByTestId('filter-sentence');
  await sentence.waitFor();
  const text = await sentence.textContent();
  assert.ok(text.includes('客户等级') && text.includes(tier), `sentence: ${text}`);
  await waitUntil(async () => (await page.getByTestId('grid-total').textContent()).replace(/,/g, '').includes(String(slice.values[0])));
});

step('a chart over a deleted field explains itself; the others still draw', async () => {
  const res = await api('DELETE', '/tables/' + encodeURIComponent('客户') + '/fields/' + encodeURIComponent('客户来源'));
  assert.equal(res.status, 200);
  await page.goto(server.url + '/dashboards/' + board.id);
  const broken = chartOf('高价值客户来源').getByTestId('chart-error');
  await broken.waitFor();
  assert.match(await broken.textContent(), /客户来源/);
  await chartOf('客户等级分布').locator('canvas').first().waitFor();
});

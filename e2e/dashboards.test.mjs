// 数据看板 on the `serve --demo` data (2000 customers, graded, the default dashboards): the
// 客户分级看板 draws its charts (ECharts canvases with the series of the API's data, the
// indicators' numbers); a click on a pie slice opens the 客户 list filtered to that tier, with
// the filter's sentence shown and the count of the slice; a chart over a deleted field shows its
// explanation while the others still draw. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, login, steps, waitUntil, chooseOption } from './lib.mjs';

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

// The text a chart draws on its canvas, each with its box in the canvas's pixels, and the
// canvas's size: every text (axes…), or with labels only the labels of the first series'
// items (slices, stages), shown ones.
const drawn = (title, { labels = false } = {}) => chartOf(title).locator('.echart').evaluate((el, labels) => {
  const chart = el.__chart;
  const box = (e, text) => {
    const r = e.getBoundingRect().clone();
    const m = e.getComputedTransform();
    if (m) r.applyTransform(m);
    return { text, x: r.x, y: r.y, w: r.width, h: r.height };
  };
  chart.getZr().storage.getDisplayList(true);
  let texts;
  if (labels) {
    const data = chart.getModel().getSeriesByIndex(0).getData();
    texts = [];
    for (let i = 0; i < data.count(); i++) {
      const label = data.getItemGraphicEl(i)?.getTextContent();
      // What the label shows: its lines as drawn (a label cut to fit ends in "...").
      const shown = label && label.childrenRef().map((c) => c.style.text).join('');
      if (label && !label.ignore && !label.invisible) texts.push(box(label, shown));
    }
  } else {
    texts = chart.getZr().storage.getDisplayList(true).filter((e) => e.type === 'tspan' && e.style && e.style.text).map((e) => box(e, e.style.text));
  }
  return { width: chart.getWidth(), height: chart.getHeight(), texts };
}, labels);
const optionOf = (title) => chartOf(title).locator('.echart').evaluate((el) => {
  const o = el.__chart.getOption();
  return JSON.parse(JSON.stringify(o, (k, v) => (typeof v === 'function' ? 'fn' : v)));
});
const inside = (d) => d.texts.filter((r) => r.x < -0.5 || r.y < -0.5 || r.x + r.w > d.width + 0.5 || r.y + r.h > d.height + 0.5);
const overlaps = (list) => {
  const out = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i], b = list[j];
      if (a.x + 1 < b.x + b.w && b.x + 1 < a.x + a.w && a.y + 1 < b.y + b.h && b.y + 1 < a.y + a.h) out.push([a.text, b.text]);
    }
  }
  return out;
};
const boardId = async (name) => (await api.get('/dashboards/' + encodeURIComponent(name))).body.id;

step('counts tick in whole numbers, money reads ¥…万, lines stay on the data, every bar is named, pie labels are whole', async () => {
  await page.goto(server.url + '/dashboards/' + (await boardId('团队业绩')));
  await chartOf('各负责人成交金额').locator('canvas').first().waitFor();
  await chartOf('每月成交金额').locator('canvas').first().waitFor();
  // A money bar: its value axis and tooltips in ¥ and 万.
  const money = await optionOf('各负责人成交金额');
  assert.equal(money.yAxis[0].minInterval, undefined);
  assert.equal(money.xAxis[0].axisLabel.interval, 0);
  const bars = await drawn('各负责人成交金额');
  const ticks = bars.texts.map((r) => r.text).filter((x) => x.startsWith('¥'));
  assert.ok(ticks.some((x) => x.endsWith('万')), `money ticks ${ticks}`);
  for (const c of money.xAxis[0].data) assert.ok(bars.texts.some((r) => r.text === c), `category ${c} drawn in ${bars.texts.map((r) => r.text)}`);
  assert.deepEqual(overlaps(bars.texts), []);
  // The area of amounts per month: smoothed only monotonically, never below its points.
  const area = await optionOf('每月成交金额');
  assert.equal(area.series[0].smoothMonotone, 'x');
  // The indicator of an amount reads in ¥.
  await waitUntil(async () => /^¥[\d,.]+(万|亿)?$/.test((await chartOf('本月成交金额').getByTestId('indicator-value').textContent()).trim()));

  await page.goto(server.url + '/dashboards/' + board.id);
  await chartOf('高价值客户来源').locator('canvas').first().waitFor();
  const counts = await optionOf('高价值客户来源');
  assert.equal(counts.yAxis[0].minInterval, 1);
  const ticksOfCounts = (await drawn('高价值客户来源')).texts.map((r) => r.text).filter((x) => /^[\d,.]+$/.test(x));
  assert.ok(ticksOfCounts.length > 1 && ticksOfCounts.every((x) => !x.includes('.')), `count ticks ${ticksOfCounts}`);
  const sources = await drawn('高价值客户来源');
  for (const c of counts.xAxis[0].data) assert.ok(sources.texts.some((r) => r.text === c), `source ${c} drawn`);
  // The pie's labels lie wholly inside its canvas, none over another, on a narrow window too.
  await page.setViewportSize({ width: 1024, height: 800 });
  await chartOf('客户等级分布').locator('canvas').first().waitFor();
  await waitUntil(async () => (await chartOf('客户等级分布').locator('.echart').evaluate((el) => el.__chart.getWidth())) < 320);
  const pie = await drawn('客户等级分布', { labels: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.deepEqual(pie.texts.map((r) => r.text.replace(/: [\d.]+%$/, '')), pieData.rows.map((r) => r.keys[0]), 'every slice labelled in full');
  assert.deepEqual(inside(pie), []);
  assert.deepEqual(overlaps(pie.texts), []);

  // Ten provinces on a narrow card: all named, turned so they do not overlap.
  await page.setViewportSize({ width: 1024, height: 800 });
  await page.goto(server.url + '/dashboards/' + (await boardId('客户地区分布')));
  await chartOf('消费金额前十的省份').locator('canvas').first().waitFor();
  const provinces = await optionOf('消费金额前十的省份');
  const ten = await drawn('消费金额前十的省份');
  await page.setViewportSize({ width: 1440, height: 900 });
  for (const c of provinces.xAxis[0].data) assert.ok(ten.texts.some((r) => r.text === c), `province ${c} drawn`);
  assert.deepEqual(overlaps(ten.texts), []);
  assert.deepEqual(inside(ten), []);
  assert.notEqual(provinces.xAxis[0].axisLabel.rotate || 0, 0, 'turned on a narrow card');
});

step('a funnel made in the editor: a preview without a title, stages in the options\' order, reordered and kept', async () => {
  await page.goto(server.url + '/dashboards/' + board.id);
  await page.getByTestId('add-chart').click();
  const editor = page.getByTestId('chart-editor');
  await chooseOption(page, editor.getByTestId('chart-table'), '客户管理 / 客户');
  await chooseOption(page, editor.getByTestId('chart-type'), '漏斗图');
  await chooseOption(page, editor.getByTestId('chart-dim-0'), '客户等级');
  // No title yet: the preview draws the stages in the options' order.
  const preview = editor.getByTestId('chart-preview');
  await preview.locator('canvas').first().waitFor();
  const names = () => preview.locator('.echart').evaluate((el) => el.__chart.getOption().series[0].data.map((d) => d.name));
  await waitUntil(async () => (await names()).join() === '高价值客户,潜力客户,普通客户');
  assert.equal(await editor.getByTestId('chart-stage-2').textContent().then((x) => x.trim()), '3. 普通客户');
  // 普通客户 up one place.
  await editor.getByTestId('chart-stage-up-2').click();
  await waitUntil(async () => (await names()).join() === '高价值客户,普通客户,潜力客户');
  // Saving without a title says what is missing.
  await editor.getByTestId('chart-save').click();
  await page.locator('.el-message--error').filter({ hasText: '图表标题' }).waitFor();
  await editor.getByTestId('chart-title').fill('等级漏斗');
  await editor.getByTestId('chart-save').click();
  await editor.waitFor({ state: 'hidden' });
  await chartOf('等级漏斗').locator('canvas').first().waitFor();
  const saved = (await api.get('/dashboards/' + board.id)).body.charts.find((c) => c.title === '等级漏斗');
  assert.deepEqual(saved.order, ['高价值客户', '普通客户', '潜力客户']);
  const opt = await optionOf('等级漏斗');
  assert.deepEqual(opt.series[0].data.map((d) => d.name), ['高价值客户', '普通客户', '潜力客户']);
  assert.equal(opt.series[0].sort, 'none');
  // Stage-to-stage conversion beside each stage, the labels clear of each other and inside.
  const f = await drawn('等级漏斗', { labels: true });
  assert.ok(f.texts.some((r) => r.text.includes('占上一阶段') && r.text.includes('占首阶段')), `funnel labels ${f.texts.map((r) => r.text)}`);
  assert.deepEqual(overlaps(f.texts), []);
  assert.deepEqual(inside(f), []);
});

step('the exported PNG carries the chart\'s title', async () => {
  await page.getByTestId('chart-menu-等级漏斗').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('.el-dropdown-menu__item:visible').filter({ hasText: '导出图片' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), '等级漏斗.png');
  const png = await readFile(await download.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
  const canvas = await chartOf('等级漏斗').locator('.echart').evaluate((el) => ({ w: el.__chart.getWidth(), h: el.__chart.getHeight() }));
  assert.equal(width, canvas.w * 2);
  assert.equal(height, canvas.h * 2 + 80, 'a 40px title band above the chart');
  // The band is written on: dark pixels where the title is.
  const dark = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = 80;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, 80).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 128 && px[i + 1] < 128 && px[i + 2] < 128) n++;
    return n;
  }, 'data:image/png;base64,' + png.toString('base64'));
  assert.ok(dark > 100, `title pixels ${dark}`);
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

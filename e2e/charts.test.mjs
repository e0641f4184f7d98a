// Chart tooltips written as HTML escape every value (ui/src/charts.js): a record, a field or a
// measure named <img src=x onerror=…> shows as text. Unit-level: the options are built as the
// dashboard builds them and their tooltip formatters run; needs ui/node_modules (make ui).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartOption, escapeHTML, fitCategoryLabels, formatMoney } from '../ui/src/charts.js';

const evil = '<img src=x onerror=alert(1)>';
const t = (k) => k;

test('escapeHTML leaves no markup', () => {
  assert.equal(escapeHTML(`${evil}&"'`), '&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;');
  assert.equal(escapeHTML(null), '');
});

// Every tooltip formatter of every chart type, called with each of its data items.
for (const type of ['bar', 'line', 'area', 'pie', 'funnel', 'map', 'scatter', 'gauge', 'rfm', 'migration']) {
  test(`${type}: tooltips show names as text`, () => {
    const two = type === 'scatter' || type === 'rfm';
    const res = {
      dimensions: type === 'migration' ? ['月', '从', '到'] : [evil],
      measures: two ? [evil, `${evil}2`] : [evil],
      rows: type === 'rfm'
        ? [{ keys: [1, 2], values: [3, 4] }]
        : type === 'migration'
          ? [{ keys: ['2026-11', evil, evil], values: [2] }]
          : [{ keys: [evil], values: two ? [1, 2] : [5] }, { keys: ['浙江'], values: two ? [3, 4] : [6] }],
      value: 5,
    };
    const opt = chartOption({ type }, res, t, 'zh');
    const formatter = opt.tooltip?.formatter;
    if (formatter === undefined) return; // ECharts' own tooltip, which escapes (TooltipView)
    assert.equal(typeof formatter, 'function', 'a string template would not escape');
    for (const s of opt.series) {
      for (const d of s.data) {
        const out = formatter({ data: d, name: d.name, value: d.value, seriesName: s.name });
        assert.ok(!out.includes('<img'), `${type}: ${out}`);
        if (type === 'scatter') assert.ok(out.includes('&lt;img src=x onerror=alert(1)&gt;'), out);
      }
    }
  });
}

// Amounts read as Chinese readers read them (万, 亿), plainly in English.
test('money: ¥ with 万 and 亿 in Chinese, plain in English', () => {
  assert.equal(formatMoney(8600, 'zh-CN'), '¥8,600');
  assert.equal(formatMoney(12000, 'zh-CN', true), '¥1.2万');
  assert.equal(formatMoney(12345678, 'zh-CN', true), '¥1,235万');
  assert.equal(formatMoney(67809.96, 'zh-CN'), '¥6.78万');
  assert.equal(formatMoney(350000000, 'zh-CN'), '¥3.5亿');
  assert.equal(formatMoney(-12000, 'zh-CN', true), '-¥1.2万');
  assert.equal(formatMoney(12345, 'en'), '¥12,345');
  assert.equal(formatMoney(12.5, 'en'), '¥12.5');
});

const t2 = (k, p) => (p ? `${k}:${p.p}` : k);

test('bar: count axis whole ticks, money axis and tooltip in ¥, every category named, lines not smoothed below the data', () => {
  const res = { dimensions: ['负责人'], measures: ['订单数', '成交金额'], formats: ['count', 'money'], rows: [{ keys: ['甲'], values: [3, 123456] }] };
  const counts = chartOption({ type: 'bar' }, { ...res, measures: ['订单数'], formats: ['count'], rows: [{ keys: ['甲'], values: [3] }] }, t2, 'zh-CN');
  assert.equal(counts.yAxis.minInterval, 1);
  assert.equal(counts.xAxis.axisLabel.interval, 0);
  const money = chartOption({ type: 'bar' }, { ...res, measures: ['成交金额'], formats: ['money'], rows: [{ keys: ['甲'], values: [123456] }] }, t2, 'zh-CN');
  assert.equal(money.yAxis.minInterval, undefined);
  assert.equal(money.yAxis.axisLabel.formatter(120000), '¥12万');
  assert.equal(money.series[0].tooltip.valueFormatter(123456), '¥12.35万');
  // Two measures of two formats: each series' tooltip in its own.
  const both = chartOption({ type: 'line' }, res, t2, 'zh-CN');
  assert.equal(both.series[0].tooltip.valueFormatter(3), '3');
  assert.equal(both.series[1].tooltip.valueFormatter(123456), '¥12.35万');
  assert.equal(both.series[0].smoothMonotone, 'x');
});

test('category labels: flat when they fit, rotated when they would overlap', () => {
  const option = (n) => chartOption({ type: 'bar' }, { dimensions: ['d'], measures: ['m'], formats: ['count'], rows: Array.from({ length: n }, (_, i) => ({ keys: [`第${i}个渠道名称`], values: [i] })) }, t2, 'zh-CN');
  assert.equal(fitCategoryLabels(option(3), 800).rotate, 0);
  assert.equal(fitCategoryLabels(option(12), 800).rotate, 45);
  assert.deepEqual(fitCategoryLabels(option(45), 800), { rotate: 90, interval: 0 });
  assert.equal(fitCategoryLabels(chartOption({ type: 'line' }, { dimensions: ['d'], measures: ['m'], rows: [] }, t2, 'zh-CN'), 800), null);
});

test('funnel: stages in the data\'s order, conversion to the previous and the first stage', () => {
  const res = { dimensions: ['阶段'], measures: ['数'], formats: ['count'], rows: [{ keys: ['线索'], values: [200] }, { keys: ['商机'], values: [50] }, { keys: ['成交'], values: [10] }] };
  const opt = chartOption({ type: 'funnel' }, res, t2, 'zh-CN');
  const s = opt.series[0];
  assert.equal(s.sort, 'none');
  assert.deepEqual(s.data.map((d) => d.name), ['线索', '商机', '成交']);
  assert.equal(s.label.position, 'right');
  assert.equal(s.label.formatter({ dataIndex: 0, name: '线索', value: 200 }), '线索 200');
  assert.equal(s.label.formatter({ dataIndex: 2, name: '成交', value: 10 }), '成交 10\ndash.ofPrevious:20.0% · dash.ofFirst:5.0%');
});

// Chart tooltips written as HTML escape every value (ui/src/charts.js): a record, a field or a
// measure named <img src=x onerror=…> shows as text. Unit-level: the options are built as the
// dashboard builds them and their tooltip formatters run; needs ui/node_modules (make ui).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartOption, escapeHTML } from '../ui/src/charts.js';

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

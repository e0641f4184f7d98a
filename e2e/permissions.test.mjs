// The UI shows only what a person may do (issue 12): on `serve --demo`, the admin has 新建表,
// 导入为新表, 从模板创建, the 分级方案/RFM/规则 menu and 字段设置, 导入 and 导出 on 客户; a
// 销售 (the demo's 李娜: 仅本人, 联系电话 masked) has none of these, adds records, cannot open the
// rules pages by their address, is offered only themselves as 负责人, and sees phones masked.
import assert from 'node:assert/strict';
import { session, newPage, login, steps, text, waitUntil } from './lib.mjs';

let server, browser, page;
const step = steps('permissions', () => page);

session(['--demo'], {}, (s) => ({ server, browser, page } = s));

const adminOnly = ['new-table', 'import-new-table', 'template-crm', 'nav-schemes', 'nav-rfm', 'nav-rules'];
const tableAdminOnly = ['designer-open', 'import-open', 'export-open'];

step('the admin has every design, import and rule control', async () => {
  await login(page, server.url);
  await page.getByTestId('nav-table-客户').click();
  await page.getByTestId('grid-total').waitFor();
  for (const id of [...adminOnly, ...tableAdminOnly, 'add-record']) {
    assert.equal(await page.getByTestId(id).count(), 1, `the admin lacks ${id}`);
  }
  assert.equal(await text(page.getByTestId('designer-open')), '字段设置');
});

step('a 销售 sees only what their role allows', async () => {
  const member = await newPage(browser);
  try {
    await login(member, server.url, { email: 'lina@demo.tierbase', password: 'tierbase-demo' });
    await member.getByTestId('nav-table-客户').click();
    await member.getByTestId('grid-total').waitFor();
    await member.getByTestId('add-record').waitFor();
    // 联系电话 is 敏感 and masked for 销售: 138****8000, never the whole number.
    const body = await member.getByTestId('grid').innerText();
    assert.match(body, /1\d{2}\*{4}\d{4}/, 'masked phones');
    assert.doesNotMatch(body, /1\d{10}/, 'a whole phone number');
    for (const id of [...adminOnly, ...tableAdminOnly]) {
      assert.equal(await member.getByTestId(id).count(), 0, `a member sees ${id}`);
    }
    // The rules pages are not reachable by their address either.
    await member.goto(server.url + '/schemes');
    await waitUntil(async () => new URL(member.url()).pathname === '/', { message: 'redirected home' });
    // The record form offers only themselves as 负责人.
    await member.getByTestId('nav-table-客户').click();
    await member.getByTestId('add-record').click();
    const owner = member.getByTestId('form-field-负责人');
    await owner.waitFor();
    await owner.locator('.el-select').click();
    const options = member.locator('.el-select-dropdown:visible .el-select-dropdown__item');
    await waitUntil(async () => (await options.count()) > 0, { message: 'owner options' });
    assert.deepEqual(await options.allInnerTexts(), ['李娜']);
  } finally {
    await member.context().close();
  }
});

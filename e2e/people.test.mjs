// 成员管理: the admin invites a person from the people page; the person opens the one-time link in
// a browser of their own, sees a common password refused under the field, sets a good one and is
// signed in; the link then no longer works. The admin disables them, and the person's open page
// is signed out on its next request; signing in again says 账号已停用.
import assert from 'node:assert/strict';
import { session, steps, login, newPage, waitUntil } from './lib.mjs';

const person = { name: '李娜', email: 'li.na@example.com', password: 'lina-garden-2026' };

let server, browser, page, api, guest, link;
const step = steps('people', () => guest || page);

session([], {}, (s) => ({ server, browser, page, api } = s));

step('the admin invites a person from 成员管理', async () => {
  await login(page, server.url);
  await page.getByTestId('nav-system').click();
  await page.getByTestId('nav-people').click();
  await page.getByTestId('people-page').waitFor();
  await page.getByTestId(`people-row-${'admin@example.com'}`).waitFor();
  await page.getByTestId('people-add').click();
  await page.getByTestId('person-name').fill(person.name);
  await page.getByTestId('person-email').fill(person.email);
  // 邀请 is the default way: no password.
  await page.getByTestId('person-save').click();
  const input = page.getByTestId('invite-link');
  await input.waitFor();
  link = await input.inputValue();
  assert.match(link, new RegExp(`^${server.url}/invite/[\\w-]{20,}$`));
  await page.keyboard.press('Escape');
  await page.getByTestId(`people-status-${person.email}`).filter({ hasText: '待激活' }).waitFor();
});

step('the person sets a password with the link and is signed in', async () => {
  guest = await newPage(browser);
  await guest.goto(link);
  await guest.getByTestId('invite-welcome').filter({ hasText: person.email }).waitFor();
  // A common password is refused under the field, with how to fix it.
  await guest.getByTestId('invite-password').fill('password123');
  await guest.getByTestId('invite-confirm').fill('password123');
  await guest.getByTestId('invite-submit').click();
  await guest.locator('.el-form-item__error').filter({ hasText: '常见密码' }).waitFor();
  await guest.getByTestId('invite-password').fill(person.password);
  await guest.getByTestId('invite-confirm').fill(person.password);
  await guest.getByTestId('invite-submit').click();
  await guest.getByTestId('sidebar').waitFor();
  assert.equal(new URL(guest.url()).pathname, '/');
  assert.match(await guest.getByTestId('user-menu').innerText(), new RegExp(person.name));
  // Members see no 系统管理.
  assert.equal(await guest.getByTestId('nav-system').count(), 0);
  // The link was for one use.
  const again = await fetch(link.replace('/invite/', '/api/invites/'));
  assert.equal(again.status, 410);
});

step('disabling the person signs their open page out', async () => {
  await page.reload();
  await page.getByTestId(`people-status-${person.email}`).filter({ hasText: '正常' }).waitFor();
  await page.getByTestId(`people-more-${person.email}`).click();
  await page.getByTestId(`people-disable-${person.email}`).click();
  await page.locator('.el-message-box').getByRole('button', { name: '是' }).click();
  await page.getByTestId(`people-status-${person.email}`).filter({ hasText: '已停用' }).waitFor();
  // The person's next request is refused: their page goes to the login page.
  await guest.getByTestId('nav-dashboards').click();
  await guest.getByTestId('login-form').waitFor();
  await guest.getByTestId('login-email').fill(person.email);
  await guest.getByTestId('login-password').fill(person.password);
  await guest.getByTestId('login-submit').click();
  await guest.getByTestId('login-error').filter({ hasText: '账号已停用' }).waitFor();
  // They stay in the directory, marked disabled.
  const users = await waitUntil(async () => (await api.get('/users')).body.items);
  assert.equal(users.find((u) => u.email === person.email).disabled, true);
});

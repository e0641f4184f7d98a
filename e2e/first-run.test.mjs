// First run: a server without users sends the browser to the setup page; the first admin is
// created there and signed in; the session survives a reload; logging out, a wrong password
// and the login throttling are shown as the server reports them.
import assert from 'node:assert/strict';
import { session, steps } from './lib.mjs';

const owner = { name: '王小明', email: 'owner@example.com', password: 'first-run-pass-1' };

let server, browser, page;
const step = steps('first-run', () => page);

session([], { withAdmin: false }, (s) => ({ server, browser, page } = s));

async function setupState() {
  const res = await fetch(server.url + '/api/setup');
  return (await res.json()).needsSetup;
}

// Submits the login form and waits for the server's answer to it.
async function submitLogin(email, password) {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login') && r.request().method() === 'POST');
  await page.getByTestId('login-submit').click();
  return answer;
}

step('a server without users opens on the setup page', async () => {
  assert.equal(await setupState(), true);
  await page.goto(server.url + '/');
  await page.getByTestId('setup-form').waitFor();
  assert.match(new URL(page.url()).pathname, /^\/setup$/);
  // Chinese by default.
  await page.getByRole('heading', { name: '创建管理员账号' }).waitFor();
  assert.equal((await page.getByTestId('setup-submit').innerText()).trim(), '创建并登录');
  // The login page is not reachable before setup.
  await page.goto(server.url + '/login');
  await page.getByTestId('setup-form').waitFor();
  assert.match(new URL(page.url()).pathname, /^\/setup$/);
});

step('the setup form checks its inputs before sending', async () => {
  await page.getByTestId('setup-name').fill(owner.name);
  await page.getByTestId('setup-email').fill(owner.email);
  await page.getByTestId('setup-password').fill('short');
  await page.getByTestId('setup-submit').click();
  await page.getByTestId('setup-form').getByText('密码至少 8 位').waitFor();
  assert.equal(await setupState(), true, 'nothing was created');
});

step('creating the first admin signs in and opens the app', async () => {
  await page.getByTestId('setup-password').fill(owner.password);
  await page.getByTestId('setup-submit').click();
  await page.getByTestId('home').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  await page.getByTestId('sidebar').waitFor();
  assert.match(await page.getByTestId('user-menu').innerText(), new RegExp(owner.name));
  assert.match(await page.getByTestId('home').innerText(), new RegExp(`你好，${owner.name}`));
  assert.equal(await setupState(), false);
  // The account works through the API too.
  const res = await fetch(server.url + '/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: owner.email, password: owner.password }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.user.role, 'admin');
  assert.equal(body.user.name, owner.name);
});

step('a reload keeps the session', async () => {
  await page.reload();
  await page.getByTestId('home').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.match(await page.getByTestId('user-menu').innerText(), new RegExp(owner.name));
  // And the setup page is gone for good.
  await page.goto(server.url + '/setup');
  await page.getByTestId('home').waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
});

step('logout returns to the login page and ends the session', async () => {
  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.reload();
  await page.getByTestId('login-form').waitFor();
  await page.goto(server.url + '/');
  await page.getByTestId('login-form').waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
  assert.equal(me, 401);
});

step('signing in again works', async () => {
  const res = await submitLogin(owner.email, owner.password);
  assert.equal(res.status(), 200);
  await page.getByTestId('home').waitFor();
  await page.getByTestId('user-menu').click();
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
});

step('a wrong password shows the server\'s error', async () => {
  const res = await submitLogin(owner.email, 'not-the-password');
  assert.equal(res.status(), 401);
  const body = await res.json();
  const error = page.getByTestId('login-error');
  await error.waitFor();
  assert.equal((await error.innerText()).trim(), body.error.message);
  assert.equal(body.error.message, '邮箱或密码不正确');
  assert.equal(new URL(page.url()).pathname, '/login');
});

step('after five wrong passwords the login is throttled', async () => {
  // One wrong password so far; four more make five.
  for (let i = 2; i <= 5; i++) {
    const res = await submitLogin(owner.email, `wrong-${i}`);
    assert.equal(res.status(), 401, `attempt ${i} is refused as a bad login`);
  }
  const res = await submitLogin(owner.email, 'wrong-6');
  assert.equal(res.status(), 429);
  const error = page.getByTestId('login-error');
  await error.filter({ hasText: '尝试次数过多' }).waitFor();
  assert.match(await error.innerText(), /尝试次数过多，请 \d+ 秒后再试/);
  // Even the right password is refused for now, and the page stays on the login form.
  const right = await submitLogin(owner.email, owner.password);
  assert.equal(right.status(), 429);
  await error.filter({ hasText: '尝试次数过多' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.getByTestId('sidebar').count(), 0);
});

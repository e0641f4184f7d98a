// Shared setup of the browser tests: build tierbase, start it on a fresh data directory
// with an admin, and open Debian's chromium through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, before, after } from 'node:test';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const admin = { email: 'admin@example.com', password: 'e2e-password-1' };

let built = process.env.TIERBASE_BIN; // a prebuilt binary, to test it instead of the checkout
function binary() {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), 'tb-e2e-bin-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    built = join(dir, 'tierbase');
    execFileSync('go', ['build', '-o', built, './cmd/tierbase'], { cwd: root, stdio: 'inherit' });
  }
  return built;
}

// startServer runs tierbase on a free port; extra args go to `serve` (e.g. ['--demo']), env
// adds variables to the server's environment (e.g. TIERBASE_DB).
export async function startServer(extra = [], { withAdmin = true, env: more = {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(extra, withAdmin, more);
    } catch (e) {
      // Most likely the random port was taken: try another one.
      if (attempt === 3 || !e.exited) throw e;
    }
  }
}

async function startOnce(extra, withAdmin, more) {
  const data = mkdtempSync(join(tmpdir(), 'tb-e2e-data-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env = { ...process.env, ...more };
  delete env.TIERBASE_ADMIN_EMAIL;
  delete env.TIERBASE_ADMIN_PASSWORD;
  if (withAdmin) {
    env.TIERBASE_ADMIN_EMAIL = admin.email;
    env.TIERBASE_ADMIN_PASSWORD = admin.password;
  }
  const proc = spawn(binary(), ['serve', '--data', data, '--http', `127.0.0.1:${port}`, ...extra], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  proc.stdout.resume(); // drain it: a full pipe would block the server
  let exited = false;
  const gone = new Promise((r) => proc.once('exit', () => { exited = true; r(); }));
  const orphan = () => proc.kill('SIGKILL'); // never leave a server behind if the test process dies
  process.once('exit', orphan);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (exited || i === 300) {
      proc.kill('SIGTERM');
      await gone;
      rmSync(data, { recursive: true, force: true });
      throw Object.assign(new Error(`tierbase serve ${exited ? 'exited before answering' : 'did not answer within 30s'} on ${url}`), { exited });
    }
    try {
      const r = await fetch(url + '/api/health');
      if (r.ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    data,
    async stop() {
      proc.kill('SIGTERM');
      await gone;
      process.off('exit', orphan);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

// startPostgres starts a throw-away PostgreSQL server of its own through scripts/pgtest (which
// installs Debian's postgresql when missing) and gives its URL and a stop that removes it.
export function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'tb-e2e-pg-'));
  const env = { ...process.env, TIERBASE_PGTEST_STATE: join(dir, 'state') };
  const pgtest = (cmd) => execFileSync(join(root, 'scripts', 'pgtest'), [cmd], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const url = /TIERBASE_TEST_PG='([^']+)'/.exec(pgtest('start'))?.[1];
  const stop = () => {
    try {
      pgtest('stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (!url) {
    stop();
    throw new Error('scripts/pgtest start printed no URL');
  }
  process.once('exit', stop); // never leave a server behind if the test process dies
  return { url, stop() { process.off('exit', stop); stop(); } };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// session starts, before the file's tests, a server (extra and opts as for startServer),
// chromium with a fresh page and, when there is an admin, an API client signed in as it; it
// hands them to set as { server, browser, page, api } and stops them after the tests.
export function session(extra = [], opts = {}, set) {
  const s = {};
  before(async () => {
    s.server = await startServer(extra, opts);
    s.browser = await launch();
    s.page = await newPage(s.browser);
    if (opts.withAdmin !== false) s.api = await apiClient(s.server.url);
    set(s);
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.stop();
  });
}

// newPage opens a fresh browser context (no cookies, no stored language) and its page; actions
// and expectations give up after 15s (a loaded machine can be slow) so a broken step fails fast.
export async function newPage(browser) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

// login signs in through the login form and waits for the app's layout.
export async function login(page, url, { email, password } = admin) {
  await page.goto(url + '/login');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('sidebar').waitFor();
}

// apiClient signs in with a bearer token for cross-checks through the REST API. Its calls
// return { status, body } and never throw on HTTP errors.
export async function apiClient(url, { email, password } = admin) {
  const call = async (method, path, body, { lang = 'zh-CN', token } = {}) => {
    const headers = { Accept: 'application/json', 'Accept-Language': lang };
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url + '/api' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const res = await call('POST', '/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`API login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const token = res.body.token;
  const api = (method, path, body, opts = {}) => call(method, path, body, { token, ...opts });
  api.get = (path, opts) => api('GET', path, undefined, opts);
  api.post = (path, body, opts) => api('POST', path, body, opts);
  api.patch = (path, body, opts) => api('PATCH', path, body, opts);
  // records lists a table's records; query is an object of URL parameters.
  api.records = async (table, query = {}) => {
    const qs = new URLSearchParams(query).toString();
    const res = await api.get(`/tables/${encodeURIComponent(table)}/records${qs ? '?' + qs : ''}`);
    if (res.status !== 200) throw new Error(`list ${table}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return api;
}

// steps returns a `step(name, fn)` that declares a node:test test sharing state with the
// steps before it: once one fails, the page is saved as a screenshot in the temp directory
// and the steps after it are skipped (they would only fail for the same reason).
export function steps(file, getPage) {
  let failed = '';
  return (name, fn, { timeout = 60_000 } = {}) =>
    test(name, { timeout }, async (t) => {
      if (failed) {
        t.skip(`an earlier step failed: ${failed}`);
        return;
      }
      try {
        await fn(t);
      } catch (e) {
        failed = name;
        const page = getPage();
        if (page && !page.isClosed()) {
          const path = join(tmpdir(), `tb-e2e-${file}-${name.replace(/[^\w\u4e00-\u9fff-]+/g, '_')}.png`);
          try {
            await page.screenshot({ path, fullPage: true, timeout: 5000 });
            t.diagnostic(`screenshot: ${path}`);
            console.error(`screenshot of the failed step: ${path}`);
          } catch { /* no screenshot then */ }
        }
        throw e;
      }
    });
}

// Element Plus selects render their options in a popper appended to <body>. chooseOption opens
// the select and clicks the option with exactly this text in that select's own list (found
// through the combobox's aria-controls, so a list still fading out elsewhere cannot be hit).
export async function chooseOption(page, select, label) {
  await select.click();
  const list = await select.locator('input[role=combobox]').getAttribute('aria-controls');
  await page.locator(`[id="${list}"] .el-select-dropdown__item`).filter({ hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }).click();
}

// waitUntil polls fn until it returns a truthy value (then returned) or the time is up.
export async function waitUntil(fn, { timeout = 15_000, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${message}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// text is a locator's visible text with its white space collapsed.
export async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

// untilText waits until the locator's text (see text) is exactly want.
export async function untilText(locator, want) {
  try {
    await waitUntil(async () => (await text(locator)) === want, { message: `the text "${want}"` });
  } catch (e) {
    throw new Error(`${e.message}; the text is "${await text(locator).catch(() => '?')}"`);
  }
}

export const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

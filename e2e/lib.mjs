// Shared setup of the browser tests: build tierbase, start it on a fresh data directory
// with an admin, and open Debian's chromium through playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const admin = { email: 'admin@example.com', password: 'e2e-password-1' };

let built;
function binary() {
  if (!built) {
    built = join(mkdtempSync(join(tmpdir(), 'tb-e2e-bin-')), 'tierbase');
    execFileSync('go', ['build', '-o', built, './cmd/tierbase'], { cwd: root, stdio: 'inherit' });
  }
  return built;
}

// startServer runs tierbase on a free port; extra args go to `serve` (e.g. ['--demo']).
export async function startServer(extra = [], { withAdmin = true } = {}) {
  const data = mkdtempSync(join(tmpdir(), 'tb-e2e-data-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env = { ...process.env };
  if (withAdmin) {
    env.TIERBASE_ADMIN_EMAIL = admin.email;
    env.TIERBASE_ADMIN_PASSWORD = admin.password;
  }
  const proc = spawn(binary(), ['serve', '--data', data, '--http', `127.0.0.1:${port}`, ...extra], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url + '/api/health');
      if (r.ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// SPDX-License-Identifier: MIT
//
// End-to-end harness for the admin center: a real lcwd (serving web/ and the
// API), a real SMTP server (aiosmtpd, started and stopped by pid, on a port
// chosen before lcwd starts so that it can be "down" first), and Debian's
// Chromium driven by playwright-core (NOTES.md, "Browser tests").
//
// Environment:
//   LCWD, LCW_SOURCE_DIR, LCW_SANITIZE  as for tests/integration (lib/lcwd.mjs)
//   LCW_CHROMIUM       browser binary (default /usr/bin/chromium)
//   LCW_TEST_OUTPUT    screenshot folder (default <repo>/build/test-output/e2e)

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startLcwd, removeDir, tempDir, SOURCE_DIR, SANITIZE, ROLES } from '../../integration/lib/lcwd.mjs';

export { ROLES };
export const CHROMIUM = process.env.LCW_CHROMIUM || '/usr/bin/chromium';
export const OUTPUT = process.env.LCW_TEST_OUTPUT || path.join(SOURCE_DIR, 'build', 'test-output', 'e2e');
export const WEB_DIR = path.join(SOURCE_DIR, 'web');
/** Generous UI timeouts: a sanitizer build of lcwd is several times slower. */
export const UI_TIMEOUT = SANITIZE ? 30000 : 10000;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PYTHON = '/usr/bin/python3';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
];

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/**
 * aiosmtpd (Mailbox handler) on `port`, started by the test and stopped by
 * its pid. Returns {pid, messages(), stop()}.
 */
export async function startSmtp(port) {
  const dir = tempDir('lcw-e2e-smtp-');
  const box = path.join(dir, 'mail');
  const proc = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', box],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; });
  proc.on('exit', () => { exited = true; });
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`aiosmtpd exited at start-up: ${stderr}`);
    if (Date.now() > deadline) { process.kill(proc.pid, 'SIGKILL'); throw new Error(`aiosmtpd did not listen on ${port}: ${stderr}`); }
    await sleep(50);
  }
  return {
    pid: proc.pid,
    messages() {
      const nd = path.join(box, 'new');
      return fs.existsSync(nd) ? fs.readdirSync(nd).map((f) => fs.readFileSync(path.join(nd, f), 'utf8')) : [];
    },
    async stop() {
      if (!exited) {
        process.kill(proc.pid, 'SIGTERM');
        const end = Date.now() + 5000;
        while (!exited && Date.now() < end) await sleep(50);
        if (!exited) process.kill(proc.pid, 'SIGKILL');
      }
      removeDir(dir);
    },
  };
}

/**
 * lcwd serving web/ with the email tasks pointed at smtpPort (nothing needs
 * to listen there yet). opts.demo seeds the Contoso demo directory.
 */
export async function startServer({ smtpPort, demo = false } = {}) {
  const args = [];
  if (demo) args.push('--demo');
  const env = { LCW_WEB_DIR: WEB_DIR };
  if (smtpPort) Object.assign(env, { LCW_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, LCW_SMTP_FROM: 'lcw@contoso.example' });
  return startLcwd({ args, env });
}

export async function stopServer(d) {
  if (!d) return;
  try { await d.stop(); } finally { removeDir(d.dataDir); }
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A page of `width` px that records uncaught page errors and console errors
 * (the test asserts none happened) and answers nothing but 127.0.0.1.
 */
export async function openPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A failed API call is logged by Chromium as a resource error; those are expected in some steps.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) page.errors.push(`outside request: ${r.url()}`);
  });
  return page;
}

/** Save the page as OUTPUT/<name>.png (full page). */
export async function screenshot(page, name) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Sign in through the form and wait for the shell to show who is signed in. */
export async function signIn(page, d, token) {
  await page.goto(`${d.url}/`);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.who-role').waitFor();
}

export function assertNoPageErrors(page) {
  assert.deepEqual(page.errors, [], 'the page logged errors');
}

/** Poll `fn` until it returns a truthy value. */
export async function until(fn, what, timeoutMs = UI_TIMEOUT * 2) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

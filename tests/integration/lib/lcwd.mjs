// SPDX-License-Identifier: MIT
//
// Test harness: start a real lcwd on a free loopback port with its own data
// directory, mint tokens through `lcwd token create`, call the API, and stop
// the daemon checking that it exits cleanly (exit code 0, no sanitizer report).
//
// Environment (set by CTest, see CMakeLists.txt):
//   LCWD            path of the built lcwd binary (default <repo>/build/lcwd)
//   LCW_SOURCE_DIR  repository root (default: two levels above this file)
//   LCW_SANITIZE    ON when lcwd is an ASan/UBSan build (slower: longer timeouts)

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.LCW_SOURCE_DIR || path.resolve(here, '..', '..', '..');
export const LCWD = process.env.LCWD || path.join(SOURCE_DIR, 'build', 'lcwd');
export const SANITIZE = /^(on|1|true|yes)$/i.test(process.env.LCW_SANITIZE || '');
/** Per-request timeout; sanitizer builds are several times slower. */
export const REQUEST_TIMEOUT_MS = SANITIZE ? 30000 : 10000;
const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 20000;

export const LW = '/v1.0/identityGovernance/lifecycleWorkflows';
export const ROLES = Object.freeze({
  GA: 'Global Administrator',
  LCWA: 'Lifecycle Workflows Administrator',
  GR: 'Global Reader',
});

const SANITIZER_RE = /(ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)\w*Sanitizer)/;

/** A fresh, private data directory under the system temp dir. */
export function tempDir(prefix = 'lcw-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment for lcwd: ours minus every inherited LCW_* setting, plus `extra`. */
function daemonEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('LCW_')) env[k] = v;
  }
  // Suites create users and runs far faster than an administrator would;
  // rate limiting is tested on its own (ratelimit.test.mjs), so it is off
  // unless a test sets LCW_RATE_LIMIT.
  return { ...env, LCW_RATE_LIMIT: '0', ...extra };
}

/** Run `lcwd ARGS...` to completion; resolves {code, stdout, stderr}. */
export function runLcwd(args, { env = {}, timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    execFile(LCWD, args, { env: daemonEnv(env), timeout: timeoutMs, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr), signal: error?.signal });
      });
  });
}

export class Lcwd {
  constructor({ dataDir, args, env, adminToken }) {
    this.dataDir = dataDir;
    this.args = args;
    this.env = env;
    this.adminToken = adminToken;
    this.stderr = '';
    this.url = null;
    this.proc = null;
    this.exited = null; // Promise<{code, signal}>
    this.exitInfo = null;
  }

  /** Spawn and wait for the `event=listening` line; rejects on early exit. */
  async start() {
    const argv = ['--data-dir', this.dataDir, '--listen', '127.0.0.1:0', ...this.args];
    const env = daemonEnv({ LCW_ADMIN_TOKEN: this.adminToken, ...this.env });
    this.stderr = '';
    this.url = null;
    this.proc = spawn(LCWD, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', () => {});
    this.proc.stderr.setEncoding('utf8');
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`lcwd did not report event=listening within ${START_TIMEOUT_MS} ms; stderr:\n${this.stderr}`));
      }, START_TIMEOUT_MS);
      this.proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      this.proc.stderr.on('data', (chunk) => {
        this.stderr += chunk;
        if (this.url) return;
        for (const line of this.stderr.split('\n')) {
          if (!line.includes('event=listening')) continue;
          const m = line.match(/url="?(https?:\/\/[^"\s]+)/);
          if (m) {
            this.url = m[1].replace(/\/+$/, '');
            clearTimeout(timer);
            resolve();
            return;
          }
        }
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (!this.url) reject(new Error(`lcwd exited early (code ${code}, signal ${signal}); stderr:\n${this.stderr}`));
      });
    });
    return this;
  }

  get pid() { return this.proc?.pid; }

  /**
   * SIGTERM, wait for the exit, and assert a clean shutdown: exit code 0 and
   * no sanitizer report on stderr.
   */
  async stop() {
    if (!this.proc) return;
    if (!this.exitInfo) {
      this.proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); });
      const info = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (!info) {
        this.proc.kill('SIGKILL');
        await this.exited;
        this.proc = null;
        assert.fail(`lcwd (pid ${this.pid}) did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; stderr:\n${this.stderr.slice(-4000)}`);
      }
    }
    const { code, signal } = this.exitInfo;
    const stderr = this.stderr;
    this.proc = null;
    assert.ok(!SANITIZER_RE.test(stderr), `sanitizer report in lcwd stderr:\n${stderr.slice(-8000)}`);
    assert.equal(code, 0, `lcwd exited with code ${code} signal ${signal}; stderr:\n${stderr.slice(-4000)}`);
  }

  /** Kill without checks (cleanup after a failed test). */
  kill() {
    if (this.proc && !this.exitInfo) this.proc.kill('SIGKILL');
    this.proc = null;
  }

  /** Create a token with `lcwd token create`; returns the secret. */
  async token(role, name = `t-${randomBytes(6).toString('hex')}`) {
    const r = await runLcwd(['token', 'create', '--data-dir', this.dataDir, '--role', role, '--name', name]);
    assert.equal(r.code, 0, `lcwd token create --role '${role}' failed (${r.code}):\n${r.stderr}`);
    const tok = r.stdout.trim();
    assert.ok(tok.length >= 16 && !/\s/.test(tok), `token create printed something other than a token: ${JSON.stringify(r.stdout)}`);
    return tok;
  }

  /**
   * Call the API. `pathOrUrl` is a path ("/v1.0/...") or an absolute URL.
   * opts.token: bearer token (default: the admin token; null = none).
   * opts.body: object (sent as JSON) or string/Buffer (sent as is).
   * Resolves {status, headers, text, json} (json undefined when not JSON).
   */
  async api(method, pathOrUrl, opts = {}) {
    return request(this.url, method, pathOrUrl, { ...opts, token: opts.token === undefined ? this.adminToken : opts.token });
  }
}

export async function request(base, method, pathOrUrl, { token, body, headers = {}, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : base + pathOrUrl;
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
    else payload = JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers: h, body: payload, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json;
  const ct = res.headers.get('content-type') || '';
  if (text.length && ct.toLowerCase().includes('json')) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  return { status: res.status, headers: res.headers, text, json, url };
}

/**
 * Start an lcwd. opts: {dataDir, args: [...], env: {LCW_*...}, adminToken}.
 * The caller stops it in after().
 */
export async function startLcwd(opts = {}) {
  const d = new Lcwd({
    dataDir: opts.dataDir || tempDir(),
    args: opts.args || [],
    env: opts.env || {},
    adminToken: opts.adminToken || `lcw_test_${randomBytes(16).toString('hex')}`,
  });
  await d.start();
  return d;
}

/** Remove a temp data dir (best effort). */
export function removeDir(dir) {
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
}

// ------------------------------------------------------------ assertions

/** One-line description of a response for assertion messages. */
export function show(res) {
  return `${res.status} ${res.text.slice(0, 600)}`;
}

/** Assert status, with the body in the message. */
export function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what ? what + ': ' : ''}expected ${status}, got ${show(res)}`);
}

/**
 * Assert a Graph error envelope with `status`:
 * {"error":{"code","message","innerError":{"date","request-id"}}}, content type
 * application/json. `mentions` are substrings (case-insensitive) the message must contain.
 */
export function expectGraphError(res, status, { mentions = [], code } = {}) {
  expectStatus(res, status);
  assert.equal(res.headers.get('content-type'), 'application/json', `error content-type: ${res.headers.get('content-type')}`);
  assert.ok(res.json && typeof res.json === 'object', `error body is not JSON: ${res.text}`);
  const e = res.json.error;
  assert.ok(e && typeof e === 'object', `no "error" object: ${res.text}`);
  assert.equal(typeof e.code, 'string', `error.code: ${res.text}`);
  assert.ok(e.code.length > 0, 'error.code empty');
  if (code) assert.equal(e.code, code);
  assert.equal(typeof e.message, 'string', `error.message: ${res.text}`);
  assert.ok(e.message.length > 0, 'error.message empty');
  assert.ok(e.innerError && typeof e.innerError === 'object', `no innerError: ${res.text}`);
  assert.equal(typeof e.innerError['request-id'], 'string', `innerError.request-id: ${res.text}`);
  assert.ok(e.innerError['request-id'].length > 0);
  assert.equal(typeof e.innerError.date, 'string', `innerError.date: ${res.text}`);
  assert.ok(isRfc3339(e.innerError.date), `innerError.date not RFC 3339: ${e.innerError.date}`);
  for (const m of [].concat(mentions)) {
    assert.ok(e.message.toLowerCase().includes(String(m).toLowerCase()),
      `error message should mention '${m}': ${e.message}`);
  }
  return e;
}

export function isRfc3339(s) {
  return typeof s === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s));
}

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Follow @odata.nextLink from `firstPath`; returns {items, pages, links}. */
export async function collectAll(d, firstPath, { token, maxPages = 100, headers } = {}) {
  const items = [];
  const links = [];
  let next = firstPath;
  let pages = 0;
  while (next) {
    const r = await d.api('GET', next, { token, headers });
    expectStatus(r, 200, `GET ${next}`);
    assert.ok(Array.isArray(r.json.value), `no value array: ${r.text.slice(0, 300)}`);
    items.push(...r.json.value);
    pages++;
    assert.ok(pages <= maxPages, `more than ${maxPages} pages following nextLink from ${firstPath}`);
    next = r.json['@odata.nextLink'];
    if (next) links.push(next);
  }
  return { items, pages, links };
}

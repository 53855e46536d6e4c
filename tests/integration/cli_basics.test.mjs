// SPDX-License-Identifier: MIT
//
// The lcw command-line client (issue 7), part 1: help, version, bash
// completion, option and argument errors (exit 1), connection settings
// (flags > LCW_URL/LCW_TOKEN > the config file written by `lcw login`, mode
// 0600), an unreachable server and a bad token (exit 3), a refusal by role
// (exit 2), and TLS verification (--cacert, --insecure). Runs the real
// build/lcw against a real lcwd.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startLcwd, removeDir, tempDir, LCWD, ROLES } from './lib/lcwd.mjs';

const LCW = path.join(path.dirname(LCWD), 'lcw');

/** Run lcw with a clean environment (no inherited LCW_*, a private config home). */
function lcw(args, { env = {}, home, timeoutMs = 30000 } = {}) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LCW_') && k !== 'XDG_CONFIG_HOME') base[k] = v;
  const h = home || emptyHome;
  return new Promise((resolve) => {
    execFile(LCW, args, { env: { ...base, HOME: h, XDG_CONFIG_HOME: path.join(h, '.config'), ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
  });
}

function expectExit(r, code, what) {
  assert.equal(r.code, code, `${what}: expected exit ${code}, got ${r.code}\nstdout: ${r.stdout.slice(0, 800)}\nstderr: ${r.stderr.slice(0, 800)}`);
}

let d, emptyHome, env;
const dirs = [];

before(async () => {
  d = await startLcwd();
  emptyHome = tempDir('lcw-cli-home-');
  dirs.push(emptyHome);
  env = { LCW_URL: d.url, LCW_TOKEN: d.adminToken };
});

after(async () => {
  if (d) await d.stop();
  if (d) removeDir(d.dataDir);
  for (const x of dirs) removeDir(x);
});

test('help, COMMAND --help and help COMMAND print usage and examples, exit 0, without a server', async () => {
  const top = await lcw(['help']);
  expectExit(top, 0, 'lcw help');
  for (const cmd of ['workflows list', 'reprocess run', 'users import', 'export', 'completion']) {
    assert.ok(top.stdout.includes(cmd), `lcw help lists '${cmd}'`);
  }
  const none = await lcw([]);
  expectExit(none, 0, 'lcw with no arguments');
  assert.ok(none.stdout.includes('Usage: lcw COMMAND'));
  for (const args of [['reprocess', 'run', '--help'], ['help', 'reprocess', 'run'], ['reprocess', 'run', '-h']]) {
    const r = await lcw(args);
    expectExit(r, 0, args.join(' '));
    assert.match(r.stdout, /Usage: lcw reprocess run WORKFLOW RUN/);
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /--failed-users/);
    assert.match(r.stdout, /Exit status/);
  }
  const group = await lcw(['help', 'runs']);
  expectExit(group, 0, 'lcw help runs');
  assert.match(group.stdout, /runs summary WORKFLOW/);
  const v = await lcw(['version']);
  expectExit(v, 0, 'lcw version');
  assert.match(v.stdout, /^lcw \d+\.\d+\.\d+/);
});

test('completion bash prints a script bash accepts, naming every command group', async () => {
  const r = await lcw(['completion', 'bash']);
  expectExit(r, 0, 'completion bash');
  assert.match(r.stdout, /complete -F _lcw lcw/);
  for (const w of ['workflows', 'reprocess', 'task-definitions', 'new-version', '--failed-tasks', 'results runs tasks']) {
    assert.ok(r.stdout.includes(w), `completion mentions ${w}`);
  }
  execFileSync('bash', ['-n'], { input: r.stdout }); // throws on a syntax error
  expectExit(await lcw(['completion', 'zsh']), 1, 'completion zsh');
});

test('usage errors exit 1 and say what is wrong, before any request', async () => {
  const cases = [
    [['frobnicate'], /unknown command/],
    [['workflows'], /Usage: lcw workflows COMMAND/],
    [['workflows', 'frob'], /not a 'workflows' command/],
    [['workflows', 'show'], /usage: lcw workflows show WORKFLOW/],
    [['workflows', 'show', 'a', 'b'], /usage/],
    [['workflows', 'list', '--bogus'], /unknown option '--bogus'/],
    [['workflows', 'list', '--wait'], /does not take --wait/],
    [['workflows', 'list', '--json', '--csv'], /one of --json, --csv and -q/],
    [['workflows', 'list', '--timeout', 'soon'], /--timeout/],
    [['workflows', 'list', '--url'], /needs a value/],
    [['workflows', 'create'], /-f FILE/],
    [['workflows', 'create', '-f', '/nonexistent/wf.json'], /cannot open/],
    [['runs', 'list', 'x', '--status', 'weird'], /--status/],
    [['runs', 'list', 'x', '--since', 'yesterday'], /--since/],
    [['run', 'x'], /--user/],
    [['reprocess', 'failed', 'x'], /--since/],
    [['reprocess', 'run', 'x', 'y', '--plan', '--wait'], /nothing to --wait for/],
    [['export', 'x', 'everything'], /results', 'runs' or 'tasks'/],
    [['settings', 'set', 'novalue'], /KEY=VALUE/],
    [['workflows', 'list', '--url', 'ftp://example.com'], /http:\/\/ or https:\/\//],
  ];
  for (const [args, re] of cases) {
    const r = await lcw(args, { env });
    expectExit(r, 1, `lcw ${args.join(' ')}`);
    assert.match(r.stdout + r.stderr, re, `lcw ${args.join(' ')}`);
  }
});

test('an unreachable server, a bad token and no configuration exit 3', async () => {
  const port = await new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const down = await lcw(['workflows', 'list'], { env: { LCW_URL: `http://127.0.0.1:${port}`, LCW_TOKEN: 'x' } });
  expectExit(down, 3, 'unreachable server');
  assert.match(down.stderr, /127\.0\.0\.1/);
  const bad = await lcw(['workflows', 'list'], { env: { LCW_URL: d.url, LCW_TOKEN: 'lcw_not_a_real_token_000000' } });
  expectExit(bad, 3, 'bad token');
  assert.match(bad.stderr, /InvalidAuthenticationToken/, 'the API error code is printed');
  const none = await lcw(['workflows', 'list']);
  expectExit(none, 3, 'no configuration');
  assert.match(none.stderr, /lcw login/);
  const noToken = await lcw(['workflows', 'list'], { env: { LCW_URL: d.url } });
  expectExit(noToken, 3, 'no token');
});

test('a refusal by role exits 2 with the API error code and message', async () => {
  const reader = await d.token(ROLES.GR, 'cli-reader');
  const r = await lcw(['workflows', 'create', '--template', 'e821c59e-d28c-44d7-902f-5fed05e926f1', '--name', 'Reader try'], { env: { LCW_URL: d.url, LCW_TOKEN: reader } });
  expectExit(r, 2, 'Global Reader creating a workflow');
  assert.match(r.stderr, /Authorization_RequestDenied \(HTTP 403\)/);
  const list = await lcw(['workflows', 'list', '--json'], { env: { LCW_URL: d.url, LCW_TOKEN: reader } });
  expectExit(list, 0, 'Global Reader listing workflows');
  assert.deepEqual(JSON.parse(list.stdout), [], 'a reader sees the (empty) list; the refused create changed nothing');
});

test('login checks the token, writes the config file with mode 0600, and later commands use it; flags and environment win', async () => {
  const home = tempDir('lcw-cli-login-');
  dirs.push(home);
  const cfg = path.join(home, '.config', 'lcw', 'config');
  const refused = await lcw(['login', '--url', d.url, '--token', 'lcw_wrong_token_000000000'], { home });
  expectExit(refused, 3, 'login with a bad token');
  assert.ok(!fs.existsSync(cfg), 'a refused login writes nothing');
  expectExit(await lcw(['login', '--url', d.url], { home }), 1, 'login without --token');

  const ok = await lcw(['login', '--url', d.url + '/', '--token', d.adminToken], { home });
  expectExit(ok, 0, 'login');
  assert.match(ok.stderr, /Logged in to .* as .*Global Administrator/);
  const st = fs.statSync(cfg);
  assert.equal(st.mode & 0o777, 0o600, `config mode ${(st.mode & 0o777).toString(8)}`);
  assert.equal(fs.statSync(path.dirname(cfg)).mode & 0o077, 0, 'the config directory is private');
  const text = fs.readFileSync(cfg, 'utf8');
  assert.ok(text.includes(`url = ${d.url}\n`), `url saved without a trailing slash:\n${text}`);
  assert.ok(text.includes(`token = ${d.adminToken}\n`));

  const viaFile = await lcw(['templates', 'list', '-q'], { home });
  expectExit(viaFile, 0, 'a command with only the config file');
  assert.equal(viaFile.stdout.trim().split('\n').length, 10, 'the ten templates');

  // LCW_TOKEN overrides the file's token, and --token overrides LCW_TOKEN.
  expectExit(await lcw(['templates', 'list', '-q'], { home, env: { LCW_TOKEN: 'lcw_bad_env_token_0000000' } }), 3, 'env token wins over the file');
  expectExit(await lcw(['templates', 'list', '-q', '--token', d.adminToken], { home, env: { LCW_TOKEN: 'lcw_bad_env_token_0000000' } }), 0, '--token wins over the env');
  expectExit(await lcw(['templates', 'list', '-q', '--url', 'http://127.0.0.1:1'], { home }), 3, '--url wins over the file');

  // A hand-written key=value file without a section works too.
  const home2 = tempDir('lcw-cli-kv-');
  dirs.push(home2);
  fs.mkdirSync(path.join(home2, '.config', 'lcw'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(home2, '.config', 'lcw', 'config'), `# mine\nurl=${d.url}\ntoken=${d.adminToken}\n`, { mode: 0o600 });
  expectExit(await lcw(['task-definitions', 'list', '-q'], { home: home2 }), 0, 'key=value config');
});

test('TLS: the certificate is verified; --cacert trusts a private CA and --insecure skips the check', async (t) => {
  const dir = tempDir('lcw-cli-tls-');
  dirs.push(dir);
  const key = path.join(dir, 'key.pem'), cert = path.join(dir, 'cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl is not available');
    return;
  }
  const tls = await startLcwd({ args: ['--tls-cert', cert, '--tls-key', key] });
  try {
    assert.match(tls.url, /^https:/);
    const e = { LCW_URL: tls.url, LCW_TOKEN: tls.adminToken };
    const unverified = await lcw(['templates', 'list', '-q'], { env: e });
    expectExit(unverified, 3, 'an untrusted certificate');
    expectExit(await lcw(['templates', 'list', '-q', '--cacert', cert], { env: e }), 0, '--cacert');
    expectExit(await lcw(['templates', 'list', '-q', '--insecure'], { env: e }), 0, '--insecure');
  } finally {
    await tls.stop();
    removeDir(tls.dataDir);
  }
});

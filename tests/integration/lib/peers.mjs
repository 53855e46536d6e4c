// SPDX-License-Identifier: MIT
//
// Real peers for the engine tests, started by the tests on 127.0.0.1 and
// stopped by pid (or by closing the server):
//
//   startSmtp()      aiosmtpd with the Mailbox handler (NOTES.md, "SMTP for
//                    tests"): one file per message under DIR/new/; messages()
//                    parses them (headers unfolded, quoted-printable decoded).
//   startReceiver()  a node http server in the test process that records every
//                    request and answers as the test says (status, body, delay,
//                    or hold until released) — the endpoint of a custom task
//                    extension.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { tempDir, removeDir, SANITIZE } from './lcwd.mjs';

export const PYTHON = '/usr/bin/python3';

/** A free TCP port on 127.0.0.1 (bind 0, read it, close). */
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ SMTP

/** Decode a quoted-printable body (soft line breaks, =XX) as UTF-8. */
export function decodeQuotedPrintable(s) {
  const bytes = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Decode RFC 2047 encoded words (=?utf-8?B?...?= / ?Q?) in a header value. */
export function decodeWords(v) {
  return v.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_, cs, enc, data) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
    return decodeQuotedPrintable(data.replace(/_/g, ' '));
  }).trim();
}

/** Parse one stored message: {headers: {lower-name: value}, body, raw, file}. */
export function parseMessage(raw, file) {
  const sep = raw.search(/\r?\n\r?\n/);
  const head = sep >= 0 ? raw.slice(0, sep) : raw;
  let body = sep >= 0 ? raw.slice(sep).replace(/^\r?\n\r?\n/, '') : '';
  const headers = {};
  const lines = head.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1])) line += ' ' + lines[++i].trim();
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    const value = decodeWords(line.slice(c + 1).trim());
    // aiosmtpd's Mailbox adds X-Peer/X-MailFrom/X-RcptTo; keep the first of each.
    if (!(name in headers)) headers[name] = value;
  }
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] || '')) body = decodeQuotedPrintable(body);
  return { headers, body, raw, file };
}

/**
 * Start aiosmtpd on a free loopback port. Resolves
 * {port, url, dir, pid, messages(), waitForMessages(n, ms), stop()}.
 */
export async function startSmtp() {
  const port = await freePort();
  const dir = tempDir('lcw-smtp-');
  const box = path.join(dir, 'mail');
  const proc = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', box],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; });
  let exited = false;
  proc.on('exit', () => { exited = true; });
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`aiosmtpd exited at start-up: ${stderr}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`aiosmtpd did not listen on ${port} within 15 s: ${stderr}`);
    }
    await sleep(50);
  }
  const smtp = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    dir: box,
    pid: proc.pid,
    messages() {
      const nd = path.join(box, 'new');
      if (!fs.existsSync(nd)) return [];
      return fs.readdirSync(nd).sort().map((f) => parseMessage(fs.readFileSync(path.join(nd, f), 'utf8'), f));
    },
    /** Messages whose headers match `pred`, waiting (bounded) until there are `n`. */
    async waitForMessages(pred, n = 1, timeoutMs = SANITIZE ? 30000 : 10000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = smtp.messages().filter(pred);
        if (got.length >= n) return got;
        if (Date.now() > end) throw new Error(`expected ${n} matching message(s) within ${timeoutMs} ms, have ${got.length} (of ${smtp.messages().length})`);
        await sleep(100);
      }
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
  return smtp;
}

// --------------------------------------------------------- HTTP receiver

/**
 * An HTTP receiver for custom task extensions. `respond(req)` (settable with
 * rx.respond = fn) returns {status, body, delayMs, hold}; `hold: true` keeps
 * the request open until rx.releaseAll() (or `maxHoldMs`). Every request is
 * recorded as {method, url, headers, text, json, at}.
 */
export async function startReceiver({ maxHoldMs = 1800 } = {}) {
  const requests = [];
  const held = new Set();
  const rx = {
    requests,
    respond: () => ({ status: 202, body: { accepted: true } }),
    url: null,
    releaseAll() {
      for (const h of [...held]) h();
    },
    /** Wait (bounded) until `n` requests matching `pred` arrived. */
    async waitForRequests(n = 1, pred = () => true, timeoutMs = SANITIZE ? 30000 : 10000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = requests.filter(pred);
        if (got.length >= n) return got;
        if (Date.now() > end) throw new Error(`expected ${n} request(s) at the receiver within ${timeoutMs} ms, got ${got.length}`);
        await sleep(25);
      }
    },
    close() {
      rx.releaseAll();
      return new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); });
    },
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      const rec = { method: req.method, url: req.url, headers: req.headers, text, json, at: Date.now() };
      requests.push(rec);
      let answer;
      try { answer = (await rx.respond(rec)) || {}; } catch (e) { answer = { status: 500, body: { error: String(e) } }; }
      if (answer.hold) {
        await new Promise((resolve) => {
          const t = setTimeout(done, answer.maxHoldMs ?? maxHoldMs);
          function done() { clearTimeout(t); held.delete(done); resolve(); }
          held.add(done);
        });
      }
      if (answer.delayMs) await sleep(answer.delayMs);
      const body = answer.body === undefined ? '' : (typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      if (res.destroyed) return;
      res.writeHead(answer.status || 200, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  rx.url = `http://127.0.0.1:${server.address().port}`;
  return rx;
}

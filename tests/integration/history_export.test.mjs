// SPDX-License-Identifier: MIT
// History export of user processing results (issue 5, fix 3): the CSV and
// NDJSON bodies, byte for byte, equal what the paged JSON (with
// $expand=subject) says they should hold, on the column path (default
// columns, $select of columns, $filter on processingStatus, $orderby, a
// run's and the subject routes) and on the document path it falls back to
// (a $select of another property, task results). The subjects' display
// names need RFC 4180 quoting and JSON escaping (comma, quotes, CR/LF, tab,
// backslash, a control character, non-ASCII), one subject was deleted after
// its run (no display name), and one run still waits on a custom task
// extension (null completedDateTime).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, expectStatus } from './lib/lcwd.mjs';
import { WFS, NS, createUsers, createWorkflow, activate, waitRunFinal, waitFor, TD, task } from './lib/engine.mjs';
import { leaverWorkflow } from './lib/fixtures.mjs';
import { createExtension } from './lib/reprocess.mjs';
import { startReceiver } from './lib/peers.mjs';
import { all, flat } from './lib/history.mjs';

const NAMES = [
  'Doe, Jane "J"',
  'Line\nbreak',
  'Carriage\r\nreturn, and "more"',
  'Tab\there \\ back\\slash/slash',
  'Bell \u0001 ring',
  '\u00dcn\u00efc\u00f8d\u00e9 \u2713 \u{1F600}',
  '"Quoted"',
  'Plain',
];
const USER_RESULT_COLUMNS = ['id', 'subject.id', 'subject.displayName', 'processingStatus', 'workflowExecutionType',
  'workflowVersion', 'scheduledDateTime', 'startedDateTime', 'completedDateTime', 'totalTasksCount',
  'failedTasksCount', 'totalUnprocessedTasksCount'];
const TASK_RESULT_COLUMNS = ['id', 'subject.id', 'subject.displayName', 'task.id', 'task.displayName',
  'processingStatus', 'createdDateTime', 'startedDateTime', 'completedDateTime', 'failureReason', 'processingInfo'];

/** RFC 4180 field: empty for null, quoted (quotes doubled) when it holds a comma, a quote or a line break. */
function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The CSV body the export must send for `items` (paged JSON) and `cols`. */
function csvOf(items, cols) {
  return [cols.join(','), ...items.map((x) => cols.map((c) => csvField(flat(x, c))).join(','))].map((l) => `${l}\r\n`).join('');
}

/**
 * The NDJSON body: one compact object per row, keys in column order, null
 * for a missing value. JSON.stringify writes what jansson writes except the
 * hex digits of \u00XX escapes, which jansson writes in upper case.
 */
function ndjsonOf(items, cols) {
  return items.map((x) => JSON.stringify(Object.fromEntries(cols.map((c) => [c, flat(x, c) ?? null])))
    .replace(/\\u00([0-9a-f]{2})/g, (m, h) => `\\u00${h.toUpperCase()}`) + '\n').join('');
}

describe('history export of user results', () => {
  let d, rx, users, deleted, done, waiting, runDone, runWait;

  before(async () => {
    d = await startLcwd({ env: { LCW_PAGE_SIZE: '4' } });
    users = await createUsers(d, NAMES.length + 2, (i) => ({ displayName: NAMES[i] ?? `Extra ${i}` }));
    deleted = users[users.length - 1];
    // A leaver run that completes for every user, then one subject is deleted.
    done = await createWorkflow(d, leaverWorkflow({ tasks: [task(TD.disableAccount, 'Disable user account')] }));
    runDone = (await activate(d, done.id, users)).runId;
    await waitRunFinal(d, done.id, runDone);
    expectStatus(await d.api('DELETE', `/v1.0/users/${deleted}`), 204, 'delete a processed user');
    // A run whose users wait on a custom task extension: no completedDateTime.
    rx = await startReceiver({ maxHoldMs: 100 });
    rx.respond = () => ({ status: 202, body: {} });
    const ext = await createExtension(d, rx, {}, { mode: 'callback' });
    waiting = await createWorkflow(d, leaverWorkflow({
      tasks: [task(TD.customExtension, 'Wait for HR', [{ name: 'customTaskExtensionID', value: ext.id }])],
    }));
    runWait = (await activate(d, waiting.id, users.slice(0, 4))).runId;
    await rx.waitForRequests(4);
    await waitFor(async () => {
      const urs = await all(d, `${WFS}/${waiting.id}/runs/${runWait}/userProcessingResults`);
      return urs.length === 4 && urs.every((u) => u.processingStatus === 'inProgress');
    }, { what: 'the waiting users in progress' });
  });
  after(async () => {
    if (rx) await rx.close();
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  async function exportText(path, accept) {
    const r = await d.api('GET', path, { headers: { Accept: accept } });
    expectStatus(r, 200, `export ${accept} ${path}`);
    assert.ok((r.headers.get('content-type') || '').startsWith(accept));
    return r.text;
  }

  /** Both formats of `path` equal, byte for byte, the bodies built from the paged JSON. */
  async function checkExact(path, cols, { expect, expand = 'subject' } = {}) {
    const sep = path.includes('?') ? '&' : '?';
    const items = await all(d, `${path}${sep}$expand=${expand}`);
    if (expect) expect(items);
    assert.equal(await exportText(path, 'text/csv'), csvOf(items, cols), `CSV of ${path}`);
    assert.equal(await exportText(path, 'application/x-ndjson'), ndjsonOf(items, cols), `NDJSON of ${path}`);
    return items;
  }

  test('the seed: names needing quoting, a deleted subject, null completion times', async () => {
    const items = await all(d, `${WFS}/${done.id}/userProcessingResults?$expand=subject`);
    assert.equal(items.length, users.length);
    assert.deepEqual(items.filter((u) => u.subject.displayName === undefined).map((u) => u.subject.id), [deleted]);
    for (const n of NAMES) assert.ok(items.some((u) => u.subject.displayName === n), `a subject named ${JSON.stringify(n)}`);
    const w = await all(d, `${WFS}/${waiting.id}/userProcessingResults`);
    assert.ok(w.length === 4 && w.every((u) => u.completedDateTime === null && u.startedDateTime), 'waiting users');
  });

  test('default columns, every user result, in both formats', async () => {
    await checkExact(`${WFS}/${done.id}/userProcessingResults`, USER_RESULT_COLUMNS);
    await checkExact(`${WFS}/${waiting.id}/userProcessingResults`, USER_RESULT_COLUMNS);
    await checkExact(`${WFS}/${done.id}/runs/${runDone}/userProcessingResults`, USER_RESULT_COLUMNS);
    await checkExact(`${WFS}/${waiting.id}/subjectProcessingResults`, USER_RESULT_COLUMNS);
  });

  test('$filter on processingStatus, $orderby, and $select of columns', async () => {
    const f = (x) => `$filter=${encodeURIComponent(x)}`;
    await checkExact(`${WFS}/${done.id}/userProcessingResults?${f("processingStatus eq 'completed'")}`, USER_RESULT_COLUMNS,
      { expect: (items) => assert.equal(items.length, users.length) });
    await checkExact(`${WFS}/${waiting.id}/userProcessingResults?${f("processingStatus eq 'inProgress'")}`, USER_RESULT_COLUMNS,
      { expect: (items) => assert.equal(items.length, 4) });
    await checkExact(`${WFS}/${done.id}/userProcessingResults?${f("processingStatus ne 'completed'")}`, USER_RESULT_COLUMNS,
      { expect: (items) => assert.equal(items.length, 0) });
    await checkExact(`${WFS}/${done.id}/userProcessingResults?$orderby=${encodeURIComponent('subject/id desc')}`, USER_RESULT_COLUMNS);
    await checkExact(`${WFS}/${waiting.id}/userProcessingResults?$select=id,subject,completedDateTime`,
      ['id', 'subject.id', 'subject.displayName', 'completedDateTime']);
    await checkExact(`${WFS}/${done.id}/userProcessingResults?$select=subject.displayName,processingStatus&${f("processingStatus in ('completed', 'failed')")}`,
      ['subject.displayName', 'processingStatus']);
  });

  test('the document path (a $select of another property, task results) writes the same way', async () => {
    // lastUpdatedDateTime is not a user result property: an empty column, from the documents.
    await checkExact(`${WFS}/${done.id}/userProcessingResults?$select=id,subject,lastUpdatedDateTime`,
      ['id', 'subject.id', 'subject.displayName', 'lastUpdatedDateTime']);
    const tasks = await checkExact(`${WFS}/${done.id}/runs/${runDone}/taskProcessingResults`, TASK_RESULT_COLUMNS,
      { expand: 'subject,task' });
    assert.equal(tasks.length, users.length);
  });
});

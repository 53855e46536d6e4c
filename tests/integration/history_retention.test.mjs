// SPDX-License-Identifier: MIT
// History retention (issue 5, "Beyond the product"): settings
// historyRetentionInDays (default 90; 0 keeps everything) and the purge the
// maintenance pass runs at start-up and every 60 s: exactly the runs
// completed before the window go, with their user and task results and
// their lineage links; runs not completed stay however old; each purge is
// audited ("Purge workflow history", count and window).
//
// lcwd has no fake clock, so old history is made by rewriting the time
// columns and the JSON documents of finished runs in lcw.db with the
// sqlite3 CLI while lcwd is stopped, then restarting it (the maintenance
// pass runs at once on start-up).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startLcwd, removeDir, tempDir, LW, expectStatus, expectGraphError } from './lib/lcwd.mjs';
import { TD, task, leaverWorkflow } from './lib/fixtures.mjs';
import { WFS, ENUMS, createUsers, createWorkflow, activate, waitRunFinal, waitFor, sleep } from './lib/engine.mjs';
import { reprocess, runScope, resultsScope, auditEvents } from './lib/reprocess.mjs';
import { DAY, all } from './lib/history.mjs';

const ADMIN = `lcw_test_retention_${process.pid}_0123456789abcdef`;

function sql(dir, text) {
  return execFileSync('sqlite3', [path.join(dir, 'lcw.db'), text], { encoding: 'utf8' }).trim();
}

/** Make run `id` look finished (or, with completed=false, still in progress) `daysAgo` days ago. */
function age(dir, id, daysAgo, { completed = true } = {}) {
  const c = Date.now() - daysAgo * DAY;
  const t = (ms) => `'${new Date(ms).toISOString()}'`;
  sql(dir, completed
    ? `UPDATE runs SET scheduled_at_ms = ${c - 60000}, started_at_ms = ${c - 50000}, completed_at_ms = ${c}, last_updated_at_ms = ${c},
         doc = json_set(doc, '$.scheduledDateTime', ${t(c - 60000)}, '$.startedDateTime', ${t(c - 50000)},
                        '$.completedDateTime', ${t(c)}, '$.lastUpdatedDateTime', ${t(c)}) WHERE pk = '${id}';`
    : `UPDATE runs SET scheduled_at_ms = ${c}, completed_at_ms = NULL, processing_status = 'inProgress',
         doc = json_set(doc, '$.scheduledDateTime', ${t(c)}, '$.completedDateTime', NULL, '$.processingStatus', 'inProgress') WHERE pk = '${id}';`);
}

const count = (dir, table, where) => Number(sql(dir, `SELECT COUNT(*) FROM ${table} WHERE ${where};`));

describe('history retention', () => {
  let d, dir, wf;
  const r = {};
  const urs = {};

  async function restart() {
    await d.stop();
    d = await startLcwd({ dataDir: dir, adminToken: ADMIN });
  }
  const purges = async () => (await auditEvents(d)).filter((e) => e.activityDisplayName === 'Purge workflow history');
  const runExists = async (id) => (await d.api('GET', `${WFS}/${wf.id}/runs/${id}`)).status === 200;

  before(async () => {
    dir = tempDir();
    d = await startLcwd({ dataDir: dir, adminToken: ADMIN });
    const users = await createUsers(d, 8);
    wf = await createWorkflow(d, leaverWorkflow({ tasks: [task(TD.disableAccount, 'Disable user account'), task(TD.revokeRefreshTokens, 'Revoke refresh tokens')] }));
    for (const [k, us] of [['old', users.slice(0, 2)], ['mid', users.slice(2, 4)], ['new', users.slice(4, 6)], ['open', users.slice(6, 8)]]) {
      r[k] = (await activate(d, wf.id, us)).runId;
      await waitRunFinal(d, wf.id, r[k]);
      urs[k] = (await all(d, `${WFS}/${wf.id}/runs/${r[k]}/userProcessingResults`)).map((u) => u.id);
    }
    // Lineage: 'mid' reprocessed as a run and through one of its results.
    r.fromMid = (await reprocess(d, wf.id, runScope(r.mid))).runId;
    await waitRunFinal(d, wf.id, r.fromMid);
    r.fromMidResult = (await reprocess(d, wf.id, resultsScope([urs.mid[0]]))).runId;
    await waitRunFinal(d, wf.id, r.fromMidResult);
    await d.stop();
    age(dir, r.old, 100);
    age(dir, r.mid, 10);
    age(dir, r.open, 400, { completed: false });
    d = await startLcwd({ dataDir: dir, adminToken: ADMIN });
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(dir); }
  });

  test('settings: historyRetentionInDays defaults to 90, accepts 0 and whole days, refuses the rest', async () => {
    const s = await d.api('GET', `${LW}/settings`);
    expectStatus(s, 200);
    assert.equal(s.json.historyRetentionInDays, 90);
    for (const bad of [-1, 'x', 1.5, null]) {
      expectGraphError(await d.api('PATCH', `${LW}/settings`, { body: { historyRetentionInDays: bad } }), 400, { mentions: ['historyRetentionInDays'] });
    }
    assert.equal((await d.api('GET', `${LW}/settings`)).json.historyRetentionInDays, 90, 'a refused PATCH changes nothing');
  });

  test('default 90 days: at start-up exactly the run completed 100 days ago goes, with its results; audited once with count and window', async () => {
    const ev = await waitFor(async () => (await purges()).length ? purges() : null, { what: 'the Purge workflow history audit event' });
    assert.equal(ev.length, 1, 'one purge event');
    const det = Object.fromEntries((ev[0].additionalDetails || []).map((x) => [x.key, x.value]));
    assert.equal(det.runsPurged, '1', `runsPurged: ${JSON.stringify(ev[0])}`);
    assert.match(det.window || '', /90 days/, 'the window is recorded');
    assert.equal(await runExists(r.old), false, 'the old run is purged');
    for (const k of ['mid', 'new', 'open', 'fromMid', 'fromMidResult']) assert.equal(await runExists(r[k]), true, `run ${k} is kept`);
    expectGraphError(await d.api('GET', `${WFS}/${wf.id}/userProcessingResults/${urs.old[0]}`), 404);
    assert.equal(count(dir, 'user_results', `run_id = '${r.old}'`), 0, 'user results of the purged run');
    assert.equal(count(dir, 'task_results', `run_id = '${r.old}'`), 0, 'task results of the purged run');
    assert.equal(count(dir, 'user_results', `run_id = '${r.mid}'`), 2, 'user results of a kept run');
    assert.equal(count(dir, 'run_stats', `run_id = '${r.old}'`), 0, 'counters of the purged run');
    assert.equal(count(dir, 'run_task_stats', `run_id = '${r.old}'`), 0, 'task counters of the purged run');
    assert.equal(count(dir, 'run_stats', `run_id = '${r.mid}' AND users = 2`), 1, 'counters of a kept run');
    const listed = (await all(d, `${WFS}/${wf.id}/runs`)).map((x) => x.id);
    assert.ok(!listed.includes(r.old) && listed.includes(r.open));
  });

  test('historyRetentionInDays 5: the run completed 10 days ago goes with its lineage links; a run not completed stays however old', async () => {
    expectStatus(await d.api('PATCH', `${LW}/settings`, { body: { historyRetentionInDays: 5 } }), 204);
    assert.ok(count(dir, 'run_links', `source_id = '${r.mid}' OR source_id = '${urs.mid[0]}'`) >= 2, 'lineage links exist before');
    await restart();
    await waitFor(async () => (await purges()).length >= 2, { what: 'a second purge event' });
    const ev = (await purges()).find((e) => (e.additionalDetails || []).some((x) => x.key === 'window' && /5 days/.test(x.value)));
    assert.ok(ev, 'a purge event records the 5-day window');
    assert.equal(Object.fromEntries(ev.additionalDetails.map((x) => [x.key, x.value])).runsPurged, '1');
    assert.equal(await runExists(r.mid), false);
    for (const k of ['new', 'open', 'fromMid', 'fromMidResult']) assert.equal(await runExists(r[k]), true, `run ${k} is kept`);
    assert.equal(count(dir, 'run_links', `source_id = '${r.mid}' OR source_id IN ('${urs.mid.join("','")}') OR new_run_id = '${r.mid}'`), 0, 'lineage links of the purged run');
    assert.equal(count(dir, 'task_results', `run_id = '${r.mid}'`), 0);
    assert.equal(count(dir, 'run_stats', `run_id = '${r.mid}'`) + count(dir, 'run_task_stats', `run_id = '${r.mid}'`), 0, 'counters of the purged run');
    // The reprocessed run itself keeps its own results.
    assert.equal(count(dir, 'user_results', `run_id = '${r.fromMid}'`), 2);
  });

  test('historyRetentionInDays 0 keeps everything, however old', async () => {
    expectStatus(await d.api('PATCH', `${LW}/settings`, { body: { historyRetentionInDays: 0 } }), 204);
    await d.stop();
    age(dir, r.new, 1000);
    const n = (await purges().catch(() => [])).length;
    d = await startLcwd({ dataDir: dir, adminToken: ADMIN });
    await sleep(1500); // the start-up maintenance pass
    assert.equal(await runExists(r.new), true, 'retention 0 keeps a run completed 1000 days ago');
    assert.equal((await purges()).length, 2, 'no new purge event');
    void n;
  });
});

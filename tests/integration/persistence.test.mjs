// SPDX-License-Identifier: MIT
// Restart persistence: everything written before a clean SIGTERM is there
// after a restart on the same data directory; tokens survive; migrations are
// applied once; SIGINT also exits cleanly; --demo seeds only an empty store.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  startLcwd, removeDir, tempDir, runLcwd, LW, expectStatus, expectGraphError, collectAll, ROLES,
} from './lib/lcwd.mjs';
import { joinerWorkflow, conditions, task, TD } from './lib/fixtures.mjs';

const MIGRATION_RE = /migrat/i;

function findDatabase(dir) {
  const files = fs.readdirSync(dir).filter((f) => /\.(db|sqlite3?)$/.test(f));
  return files.length ? path.join(dir, files[0]) : null;
}

function sqlite(db, sql) {
  try {
    return execFileSync('sqlite3', [db, sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

describe('restart persistence', () => {
  const dataDir = tempDir();
  const adminToken = `lcw_persist_${Date.now()}_0123456789abcdef`;
  const daemons = [];
  const state = {};
  after(() => {
    for (const d of daemons) d.kill();
    removeDir(dataDir);
  });

  test('first start: create workflows, a version, a user, settings, an extension, tokens', async () => {
    const d = await startLcwd({ dataDir, adminToken });
    daemons.push(d);
    assert.match(d.stderr, MIGRATION_RE, 'first start did not log any migration');
    const w = await d.api('POST', `${LW}/workflows`, { body: joinerWorkflow() });
    expectStatus(w, 201);
    state.wf = w.json;
    const v = await d.api('POST', `${LW}/workflows/${w.json.id}/createNewVersion`, {
      body: { workflow: { ...joinerWorkflow({ displayName: w.json.displayName, description: 'v2' }), executionConditions: conditions({ offset: 4 }), tasks: [task(TD.welcomeEmail, 'Welcome')] } },
    });
    expectStatus(v, 200);
    const w2 = await d.api('POST', `${LW}/workflows`, { body: joinerWorkflow() });
    expectStatus(w2, 201);
    expectStatus(await d.api('DELETE', `${LW}/workflows/${w2.json.id}`), 204);
    state.deleted = w2.json.id;
    expectStatus(await d.api('PATCH', `${LW}/settings`, { body: { workflowScheduleIntervalInHours: 7 } }), 204);
    const ext = await d.api('POST', `${LW}/customTaskExtensions`, {
      body: {
        displayName: 'persisted extension',
        endpointConfiguration: { '@odata.type': '#microsoft.graph.httpRequestEndpoint', targetUrl: 'https://hooks.example.test/x' },
        authenticationConfiguration: { '@odata.type': '#lcw.sharedSecretAuthentication', secret: 'a-long-enough-shared-secret' },
      },
    });
    expectStatus(ext, 201);
    state.ext = ext.json.id;
    const u = await d.api('POST', '/v1.0/users', { body: { displayName: 'Persisted Person', userPrincipalName: `persist.${Date.now()}@contoso.test`, accountEnabled: true } });
    state.user = u.status === 201 ? u.json : null;
    state.reader = await d.token(ROLES.GR, 'persist-reader');
    state.revoked = await d.token(ROLES.GR, 'persist-revoked');
    const rv = await runLcwd(['token', 'revoke', 'persist-revoked', '--data-dir', dataDir]);
    assert.equal(rv.code, 0, rv.stderr);
    state.audit = (await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items.length;
    const db = findDatabase(dataDir);
    state.migrations = db ? sqlite(db, 'SELECT COUNT(*) FROM schema_migrations') : null;
    await d.stop(); // asserts exit code 0 and no sanitizer report
  });

  test('tokens can be created while the daemon is down', async () => {
    state.offline = await (async () => {
      const r = await runLcwd(['token', 'create', '--data-dir', dataDir, '--role', ROLES.LCWA, '--name', 'made-offline']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    })();
    assert.ok(state.offline.length >= 16);
  });

  test('second start: everything is still there, no migration re-applied', async () => {
    const d = await startLcwd({ dataDir, adminToken });
    daemons.push(d);
    assert.doesNotMatch(d.stderr.split('\n').filter((l) => MIGRATION_RE.test(l)).join('\n'), /version=|applied|migrated/i,
      `second start applied migrations again:\n${d.stderr}`);
    const db = findDatabase(dataDir);
    if (db && state.migrations !== null) {
      assert.equal(sqlite(db, 'SELECT COUNT(*) FROM schema_migrations'), state.migrations, 'schema_migrations grew on restart');
      assert.equal(sqlite(db, 'SELECT COUNT(*) FROM (SELECT version FROM schema_migrations GROUP BY version HAVING COUNT(*) > 1)'), '0');
    }
    const g = await d.api('GET', `${LW}/workflows/${state.wf.id}?$expand=tasks`);
    expectStatus(g, 200, 'workflow after restart');
    assert.equal(g.json.displayName, state.wf.displayName);
    assert.equal(g.json.version, 2);
    assert.equal(g.json.executionConditions.trigger.offsetInDays, 4);
    assert.equal(g.json.tasks.length, 1);
    assert.equal(g.json.createdDateTime, state.wf.createdDateTime);
    const vs = await d.api('GET', `${LW}/workflows/${state.wf.id}/versions`);
    assert.deepEqual(vs.json.value.map((x) => x.versionNumber).sort(), [1, 2]);
    const v1 = await d.api('GET', `${LW}/workflows/${state.wf.id}/versions/1/tasks`);
    assert.equal(v1.json.value.length, 2, 'version 1 tasks after restart');
    expectStatus(await d.api('GET', `${LW}/deletedItems/workflows/${state.deleted}`), 200, 'deleted workflow after restart');
    assert.equal((await d.api('GET', `${LW}/settings`)).json.workflowScheduleIntervalInHours, 7);
    const ext = await d.api('GET', `${LW}/customTaskExtensions/${state.ext}`);
    expectStatus(ext, 200);
    assert.ok(!ext.text.includes('a-long-enough-shared-secret'));
    if (state.user) expectStatus(await d.api('GET', `/v1.0/users/${state.user.id}`), 200, 'user after restart');
    assert.ok((await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items.length >= state.audit, 'audit events lost');

    expectStatus(await d.api('GET', `${LW}/workflows`), 200, 'LCW_ADMIN_TOKEN after restart');
    expectStatus(await d.api('GET', `${LW}/workflows`, { token: state.reader }), 200, 'reader token after restart');
    expectGraphError(await d.api('POST', `${LW}/workflows`, { token: state.reader, body: joinerWorkflow() }), 403);
    expectGraphError(await d.api('GET', `${LW}/workflows`, { token: state.revoked }), 401, { mentions: [] });
    expectStatus(await d.api('GET', `${LW}/workflows`, { token: state.offline }), 200, 'offline-created token');
    // The restarted daemon still writes.
    expectStatus(await d.api('POST', `${LW}/workflows`, { body: joinerWorkflow() }), 201);
    await d.stop();
  });

  test('SIGINT also exits 0', async () => {
    const d = await startLcwd({ dataDir, adminToken });
    daemons.push(d);
    d.proc.kill('SIGINT');
    const { code } = await d.exited;
    assert.equal(code, 0, `SIGINT exit code ${code}:\n${d.stderr}`);
  });

  test('a revoked LCW_ADMIN_TOKEN is made live again at start, with a warning and an audit event', async () => {
    const list = await runLcwd(['token', 'list', '--data-dir', dataDir]);
    assert.equal(list.code, 0, list.stderr);
    const name = (list.stdout.match(/admin-env-[0-9a-f]+/) || [])[0];
    assert.ok(name, `no admin-env token listed:\n${list.stdout}`);
    const rv = await runLcwd(['token', 'revoke', name, '--data-dir', dataDir]);
    assert.equal(rv.code, 0, rv.stderr);
    const d = await startLcwd({ dataDir, adminToken });
    daemons.push(d);
    expectStatus(await d.api('GET', `${LW}/workflows`), 200, 'LCW_ADMIN_TOKEN after its token was revoked');
    assert.match(d.stderr, new RegExp(`event=admin_token_unrevoked name=${name}`), 'the warning names the token');
    const events = (await collectAll(d, '/v1.0/auditLogs/directoryAudits')).items
      .filter((e) => e.targetResources?.some((t) => t.displayName === name));
    const activities = events.map((e) => e.activityDisplayName);
    assert.ok(activities.includes('Revoke token'), `audit: ${activities}`);
    const restore = events.find((e) => e.activityDisplayName === 'Restore token');
    assert.ok(restore, `no "Restore token" audit event: ${activities}`);
    assert.equal(restore.initiatedBy.user.displayName, 'lcwd (LCW_ADMIN_TOKEN at start-up)');
    assert.equal(restore.result, 'success');
    await d.stop();
  });

  test('a second daemon on the same data directory does not corrupt it', async () => {
    const a = await startLcwd({ dataDir, adminToken });
    daemons.push(a);
    let b;
    try {
      b = await startLcwd({ dataDir, adminToken });
      daemons.push(b);
    } catch {
      b = null; // refusing to start on a directory in use is fine
    }
    expectStatus(await a.api('GET', `${LW}/workflows/${state.wf.id}`), 200);
    if (b) {
      expectStatus(await b.api('POST', `${LW}/workflows`, { body: joinerWorkflow() }), 201);
      await b.stop();
    }
    expectStatus(await a.api('POST', `${LW}/workflows`, { body: joinerWorkflow() }), 201);
    await a.stop();
  });
});

describe('--demo on restart', () => {
  const dataDir = tempDir();
  const adminToken = `lcw_demo_${Date.now()}_0123456789abcdef`;
  after(() => removeDir(dataDir));

  test('the demo seed runs only on an empty store', async () => {
    const a = await startLcwd({ dataDir, adminToken, args: ['--demo'] });
    let users1;
    let wfs1;
    try {
      wfs1 = (await collectAll(a, `${LW}/workflows`)).items.length;
      users1 = (await a.api('GET', '/v1.0/users?$count=true&$top=1')).json?.['@odata.count'];
    } finally {
      await a.stop();
    }
    const b = await startLcwd({ dataDir, adminToken, args: ['--demo'] });
    try {
      assert.equal((await collectAll(b, `${LW}/workflows`)).items.length, wfs1, 'demo workflows seeded twice');
      assert.equal((await b.api('GET', '/v1.0/users?$count=true&$top=1')).json?.['@odata.count'], users1, 'demo users seeded twice');
    } finally {
      await b.stop();
    }
  });
});

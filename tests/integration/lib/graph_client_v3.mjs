// SPDX-License-Identifier: MIT
//
// Child process of sdk_conformance.test.mjs: drives lcwd over https with the
// official @microsoft/microsoft-graph-client v3 exactly as an application
// would (Client.init with a baseUrl, customHosts for the bearer token,
// PageIterator, GraphError). Run with NODE_EXTRA_CA_CERTS pointing at lcwd's
// self-signed certificate, so node's fetch trusts it.
//
// env: LCW_V3_URL (https://127.0.0.1:PORT), LCW_V3_TOKEN, LCW_V3_PAGE_SIZE.
// Prints one JSON line {steps: [...]} and exits 0 on success; on failure
// prints the error and exits 1.

import assert from 'node:assert/strict';
import gc from '@microsoft/microsoft-graph-client';
import { TD, joinerWorkflow, task, conditions } from './fixtures.mjs';

const { Client, PageIterator, GraphError } = gc;
const base = process.env.LCW_V3_URL;
const token = process.env.LCW_V3_TOKEN;
const pageSize = Number(process.env.LCW_V3_PAGE_SIZE || 3);
const steps = [];
const step = (s) => steps.push(s);

const client = Client.init({
  authProvider: (done) => done(null, token),
  baseUrl: `${base}/`,
  defaultVersion: 'v1.0',
  customHosts: new Set([new URL(base).hostname]),
});
const LWP = '/identityGovernance/lifecycleWorkflows';

async function main() {
  assert.ok(base.startsWith('https://'), `v3 scenario needs https, got ${base}`);

  // create
  const body = joinerWorkflow();
  const created = await client.api(`${LWP}/workflows`).post(body);
  assert.equal(created.displayName, body.displayName);
  assert.equal(created.version, 1);
  step('create');

  // list with paging: page size small, PageIterator follows https nextLinks
  const ids = new Set([created.id]);
  for (let i = 0; i < pageSize * 2; i++) {
    const w = await client.api(`${LWP}/workflows`).post(joinerWorkflow());
    ids.add(w.id);
  }
  const first = await client.api(`${LWP}/workflows`).get();
  assert.ok(first['@odata.nextLink'], `no @odata.nextLink with ${ids.size} workflows and page size ${pageSize}`);
  assert.ok(first['@odata.nextLink'].startsWith('https://'), `nextLink over TLS must be https: ${first['@odata.nextLink']}`);
  const seen = [];
  const it = new PageIterator(client, first, (w) => { seen.push(w.id); return true; });
  await it.iterate();
  assert.equal(seen.length, new Set(seen).size, 'PageIterator saw a workflow twice');
  for (const id of ids) assert.ok(seen.includes(id), `PageIterator missed ${id}`);
  step(`list+page(${seen.length})`);

  // get (with tasks)
  const got = await client.api(`${LWP}/workflows/${created.id}`).expand('tasks').get();
  assert.equal(got.id, created.id);
  assert.equal(got.tasks.length, 2);
  step('get');

  // update: 204, v3 must not choke on the empty body
  const upd = await client.api(`${LWP}/workflows/${created.id}`).patch({ description: 'updated by graph-client v3' });
  assert.ok(upd === undefined || upd === null || upd === '' || Object.keys(upd).length === 0, `PATCH returned ${JSON.stringify(upd)}`);
  const got2 = await client.api(`${LWP}/workflows/${created.id}`).get();
  assert.equal(got2.description, 'updated by graph-client v3');
  step('update');

  // createNewVersion (qualified name, as SDKs send it)
  const v2 = await client.api(`${LWP}/workflows/${created.id}/microsoft.graph.identityGovernance.createNewVersion`).post({
    workflow: {
      category: 'joiner',
      displayName: body.displayName,
      description: 'v2 from graph-client v3',
      isEnabled: true,
      isSchedulingEnabled: false,
      executionConditions: conditions({ offset: 2 }),
      tasks: [task(TD.welcomeEmail, 'Welcome v2')],
    },
  });
  assert.equal(v2.version, 2);
  const versions = await client.api(`${LWP}/workflows/${created.id}/versions`).get();
  assert.deepEqual(versions.value.map((v) => v.versionNumber).sort(), [1, 2]);
  step('createNewVersion');

  // delete, then a GET is a GraphError 404 with the Graph code
  await client.api(`${LWP}/workflows/${created.id}`).delete();
  let err;
  try {
    await client.api(`${LWP}/workflows/${created.id}`).get();
  } catch (e) { err = e; }
  assert.ok(err instanceof GraphError, `expected GraphError, got ${err}`);
  assert.equal(err.statusCode, 404);
  assert.ok(err.code && err.code !== 'Error', `GraphError.code not from the envelope: ${err.code}`);
  assert.ok(err.requestId, 'GraphError.requestId not read from innerError');
  step('delete');

  // restore
  const restored = await client.api(`${LWP}/deletedItems/workflows/${created.id}/microsoft.graph.identityGovernance.restore`).post({});
  assert.equal(restored.id, created.id);
  assert.equal((await client.api(`${LWP}/workflows/${created.id}`).get()).id, created.id);
  step('restore');

  // task definitions
  const defs = [];
  const td = await client.api(`${LWP}/taskDefinitions`).get();
  await new PageIterator(client, td, (x) => { defs.push(x); return true; }).iterate();
  assert.ok(defs.length >= 25, `only ${defs.length} task definitions`);
  assert.ok(defs.some((x) => x.id.toLowerCase() === TD.welcomeEmail));
  step(`taskDefinitions(${defs.length})`);
}

main().then(
  () => { process.stdout.write(`${JSON.stringify({ steps })}\n`); },
  (e) => {
    process.stderr.write(`graph-client v3 scenario failed after steps [${steps.join(', ')}]:\n${e?.stack || e}\n`);
    if (e && e.body) process.stderr.write(`body: ${typeof e.body === 'string' ? e.body : JSON.stringify(e.body)}\n`);
    process.exitCode = 1;
  },
);

// SPDX-License-Identifier: MIT
// Collections: server-driven paging with absolute @odata.nextLink, $top,
// $orderby, $count, $filter, invalid query options, X-Forwarded-* links.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, removeDir, LW, expectStatus, expectGraphError, collectAll } from './lib/lcwd.mjs';
import { joinerWorkflow, leaverWorkflow, moverWorkflow } from './lib/fixtures.mjs';

const WFS = `${LW}/workflows`;
const PAGE = 5;
const q = (s) => encodeURIComponent(s);

describe('paging and query options (LCW_PAGE_SIZE=5)', () => {
  let d;
  const made = [];

  before(async () => {
    d = await startLcwd({ env: { LCW_PAGE_SIZE: String(PAGE) } });
    // 23 workflows: 10 joiner (6 named "Onb..."), 8 leaver, 5 mover; 4 disabled.
    for (let i = 0; i < 23; i++) {
      let body;
      if (i < 10) body = joinerWorkflow({ displayName: `${i < 6 ? 'Onboard' : 'Joiner'} ${String(i).padStart(2, '0')}` });
      else if (i < 18) body = leaverWorkflow({ displayName: `Leaver ${String(i).padStart(2, '0')}` });
      else body = moverWorkflow({ displayName: `Mover ${String(i).padStart(2, '0')}` });
      if (i % 6 === 1) { body.isEnabled = false; body.isSchedulingEnabled = false; }
      const r = await d.api('POST', WFS, { body });
      expectStatus(r, 201, `create ${body.displayName}`);
      made.push(r.json);
    }
  });
  after(async () => {
    if (d) { await d.stop(); removeDir(d.dataDir); }
  });

  test('following @odata.nextLink returns every workflow exactly once', async () => {
    const first = await d.api('GET', WFS);
    expectStatus(first, 200);
    assert.equal(first.json.value.length, PAGE, 'first page size');
    const next = first.json['@odata.nextLink'];
    assert.ok(next, 'no @odata.nextLink on a partial page');
    const u = new URL(next);
    assert.equal(`${u.protocol}//${u.host}`, d.url, `nextLink must be absolute on the same host: ${next}`);
    assert.ok(/\$skiptoken=/i.test(u.search), `nextLink without $skiptoken: ${next}`);
    const { items, pages, links } = await collectAll(d, WFS);
    assert.equal(pages, Math.ceil(23 / PAGE));
    const ids = items.map((x) => x.id);
    assert.equal(new Set(ids).size, ids.length, 'a workflow appeared twice');
    assert.deepEqual([...ids].sort(), made.map((x) => x.id).sort());
    for (const l of links) assert.ok(l.startsWith(`${d.url}/v1.0/`), `nextLink: ${l}`);
  });

  test('$top smaller than the page size, and larger', async () => {
    const r = await d.api('GET', `${WFS}?$top=3`);
    expectStatus(r, 200);
    assert.equal(r.json.value.length, 3);
    const all = await collectAll(d, `${WFS}?$top=3`);
    assert.equal(all.items.length, 23, '$top with nextLink should still reach every item');
    assert.equal(new Set(all.items.map((x) => x.id)).size, 23);
    const big = await d.api('GET', `${WFS}?$top=500`);
    expectStatus(big, 200);
    assert.ok(big.json.value.length <= 23);
    for (const bad of ['-1', 'abc', '1.5']) expectGraphError(await d.api('GET', `${WFS}?$top=${bad}`), 400, { mentions: ['$top'] });
  });

  test('$orderby=displayName desc pages in order', async () => {
    const { items } = await collectAll(d, `${WFS}?$orderby=${q('displayName desc')}`);
    const names = items.map((x) => x.displayName);
    assert.equal(names.length, 23);
    const sorted = [...names].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    assert.deepEqual(names, sorted);
    const asc = await collectAll(d, `${WFS}?$orderby=displayName`);
    assert.deepEqual(asc.items.map((x) => x.displayName), [...sorted].reverse());
    const byTime = await collectAll(d, `${WFS}?$orderby=${q('createdDateTime asc')}`);
    const t = byTime.items.map((x) => Date.parse(x.createdDateTime));
    for (let i = 1; i < t.length; i++) assert.ok(t[i - 1] <= t[i], 'createdDateTime asc out of order');
    expectGraphError(await d.api('GET', `${WFS}?$orderby=${q('nonsense desc')}`), 400, { mentions: ['nonsense'] });
  });

  test('$count=true gives @odata.count of the whole (filtered) collection', async () => {
    const r = await d.api('GET', `${WFS}?$count=true`);
    expectStatus(r, 200);
    assert.equal(r.json['@odata.count'], 23);
    const f = await d.api('GET', `${WFS}?$count=true&$filter=${q("category eq 'leaver'")}`);
    assert.equal(f.json['@odata.count'], 8);
    const nc = await d.api('GET', `${WFS}?$count=false`);
    expectStatus(nc, 200);
    expectGraphError(await d.api('GET', `${WFS}?$count=maybe`), 400, { mentions: ['$count'] });
  });

  test('$filter examples', async () => {
    const ids = async (f) => (await collectAll(d, `${WFS}?$filter=${q(f)}`)).items;
    const leavers = await ids("category eq 'leaver'");
    assert.equal(leavers.length, 8);
    for (const x of leavers) assert.equal(x.category, 'leaver');

    const disabled = await ids('isEnabled eq false');
    assert.deepEqual(disabled.map((x) => x.id).sort(), made.filter((x) => !x.isEnabled).map((x) => x.id).sort());
    assert.equal(disabled.length, 4);

    const onb = await ids("startswith(displayName,'Onb')");
    assert.equal(onb.length, 6);
    for (const x of onb) assert.ok(x.displayName.startsWith('Onb'));

    assert.equal((await ids('createdDateTime ge 2020-01-01T00:00:00Z')).length, 23);
    assert.equal((await ids('createdDateTime lt 2020-01-01T00:00:00Z')).length, 0);
    assert.equal((await ids("category eq 'joiner' and isEnabled eq true")).length, made.filter((x) => x.category === 'joiner' && x.isEnabled).length);
    assert.equal((await ids("category eq 'mover' or category eq 'leaver'")).length, 13);
    assert.equal((await ids("not (category eq 'joiner')")).length, 13);
    assert.equal((await ids("category in ('mover','leaver')")).length, 13);
    assert.equal((await ids("category ne 'joiner'")).length, 13);
    assert.equal((await ids(`id eq '${made[3].id}'`)).length, 1);
    assert.equal((await ids("displayName eq 'Leaver 12'")).length, 1);
    assert.equal((await ids('version eq 1')).length, 23);
  });

  test('invalid $filter → 400 naming the position; unsupported options → 400', async () => {
    for (const f of ["category eq", "category eq 'joiner' and", "(category eq 'joiner'", "category === 'joiner'", "startswith(displayName)"]) {
      const r = await d.api('GET', `${WFS}?$filter=${q(f)}`);
      const e = expectGraphError(r, 400);
      assert.match(e.message, /position|column|offset|at \d+|char/i, `$filter '${f}': message should name the position: ${e.message}`);
    }
    expectGraphError(await d.api('GET', `${WFS}?$filter=${q("colour eq 'blue'")}`), 400, { mentions: ['colour'] });
    expectGraphError(await d.api('GET', `${WFS}?$filter=${q("isEnabled eq 'yes'")}`), 400);
    expectGraphError(await d.api('GET', `${WFS}?$apply=${q('groupby((category))')}`), 400, { mentions: ['$apply'] });
    expectGraphError(await d.api('GET', `${WFS}?$skiptoken=garbage`), 400);
  });

  test('$expand of an unknown navigation → 400', async () => {
    expectGraphError(await d.api('GET', `${WFS}?$expand=foo`), 400, { mentions: ['foo'] });
    expectGraphError(await d.api('GET', `${WFS}/${made[0].id}?$expand=foo`), 400, { mentions: ['foo'] });
  });

  test('$select: unknown names are ignored on workflows (docs/API.md), refused on users', async () => {
    const r = await d.api('GET', `${WFS}/${made[0].id}?$select=displayName,nope`);
    expectStatus(r, 200);
    assert.equal(r.json.displayName, made[0].displayName);
    assert.ok(!('nope' in r.json));
    assert.ok(!('category' in r.json));
    expectGraphError(await d.api('GET', `/v1.0/users?$select=nope`), 400, { mentions: ['nope'] });
  });

  test('$search="text" keeps workflows whose displayName contains it (any case)', async () => {
    const r = await collectAll(d, `${WFS}?$search=${q('"onBOARD"')}`);
    assert.deepEqual(r.items.map((x) => x.id).sort(), made.filter((x) => /onboard/i.test(x.displayName)).map((x) => x.id).sort());
    const c = await d.api('GET', `${WFS}?$search=${q('"leaver 1"')}&$count=true`);
    expectStatus(c, 200);
    assert.equal(c.json['@odata.count'], made.filter((x) => /leaver 1/i.test(x.displayName)).length);
    expectGraphError(await d.api('GET', `${WFS}?$search=${q('""')}`), 400, { mentions: ['$search'] });
    expectGraphError(await d.api('GET', `${LW}/taskDefinitions?$search=${q('"x"')}`), 400, { mentions: ['$search'] });
  });

  test('query options: unknown $ option, repeated option → 400', async () => {
    expectGraphError(await d.api('GET', `${WFS}?$bogus=1`), 400, { mentions: ['$bogus'] });
    expectGraphError(await d.api('GET', `${WFS}?$top=1&$top=2`), 400, { mentions: ['$top'] });
  });

  test('nextLink honours X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'lcw.example.com' };
    const r = await d.api('GET', WFS, { headers });
    expectStatus(r, 200);
    const next = r.json['@odata.nextLink'];
    assert.ok(next && next.startsWith('https://lcw.example.com/'), `nextLink behind a proxy: ${next}`);
    assert.ok(r.json['@odata.context'].startsWith('https://lcw.example.com/'), `@odata.context behind a proxy: ${r.json['@odata.context']}`);
    // The link still works when sent back to lcwd itself.
    const u = new URL(next);
    const page2 = await d.api('GET', `${u.pathname}${u.search}`, { headers });
    expectStatus(page2, 200);
    assert.equal(page2.json.value.length, PAGE);
    assert.notDeepEqual(page2.json.value.map((x) => x.id), r.json.value.map((x) => x.id));
  });

  test('paging stays consistent when an item is deleted between pages', async () => {
    const first = await d.api('GET', `${WFS}?$orderby=displayName`);
    const seenFirst = first.json.value.map((x) => x.id);
    const victim = made.find((x) => !seenFirst.includes(x.id) && x.displayName.startsWith('Leaver'));
    expectStatus(await d.api('DELETE', `${WFS}/${victim.id}`), 204);
    const rest = await collectAll(d, first.json['@odata.nextLink']);
    const all = [...seenFirst, ...rest.items.map((x) => x.id)];
    assert.equal(new Set(all).size, all.length, 'an item appeared twice after a delete');
    assert.equal(all.length, 22);
    expectStatus(await d.api('POST', `${LW}/deletedItems/workflows/${victim.id}/restore`), 200);
  });

  test('deletedItems/workflows pages too', async () => {
    const gone = made.filter((x) => x.category === 'mover').slice(0, 3);
    for (const w of gone) expectStatus(await d.api('DELETE', `${WFS}/${w.id}`), 204);
    const { items } = await collectAll(d, `${LW}/deletedItems/workflows?$top=2`);
    assert.deepEqual(items.map((x) => x.id).sort(), gone.map((x) => x.id).sort());
    for (const w of gone) expectStatus(await d.api('POST', `${LW}/deletedItems/workflows/${w.id}/restore`), 200);
  });
});

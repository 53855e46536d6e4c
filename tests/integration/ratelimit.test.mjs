// SPDX-License-Identifier: MIT
//
// Per-token rate limiting: past the limit (burst twice the per-second rate)
// lcwd answers 429 with Retry-After and the Graph error envelope; other
// tokens are not affected, and the token recovers after waiting.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLcwd, expectGraphError } from './lib/lcwd.mjs';

const LIST = '/v1.0/identityGovernance/lifecycleWorkflows/workflows';

describe('rate limiting', () => {
  let d;
  before(async () => {
    d = await startLcwd({ env: { LCW_RATE_LIMIT: '5' } });
  });
  after(async () => {
    await d?.stop();
  });

  test('a token past its burst gets 429 with Retry-After; another token does not; it recovers', async () => {
    const statuses = [];
    let limited = null;
    for (let i = 0; i < 30; i++) {
      const r = await d.api('GET', LIST);
      statuses.push(r.status);
      if (r.status === 429 && !limited) limited = r;
    }
    // Burst of 10 (twice 5/s), then refusals; a few refills may slip in.
    assert.ok(statuses.slice(0, 10).every((s) => s === 200), `first 10 allowed: ${statuses}`);
    assert.ok(limited, `some requests refused: ${statuses}`);
    expectGraphError(limited, 429);
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 2, `Retry-After in seconds: ${retry}`);
    assert.match(limited.json.error.message, /limit 5 per second/);

    const other = await d.token('Global Reader', 'rate-other');
    const r = await d.api('GET', LIST, { token: other });
    assert.equal(r.status, 200, 'another token has its own bucket');

    await new Promise((res) => setTimeout(res, (retry + 0.2) * 1000));
    assert.equal((await d.api('GET', LIST)).status, 200, 'the token recovers after Retry-After');
  });
});

/**
 * A run that starts before today's weekday round opens finds yesterday's round past its on-time deadline but still open
 * for late uploads. With wait-for-round it waits for today's round; the sandbox and the run share one virtual clock.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Clock } from '../../src/pipeline/ports.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { cli, EXAMPLE_NAMES, workspace } from '../pipeline/sandbox-harness.js';

const sandboxes: Sandbox[] = [];
after(async () => Promise.all(sandboxes.map((s) => s.close())));

/** Round 1240 late at 11:55 UTC; round 1241 opens `opensInMs` later when given. */
async function lateAt1155(opensInMs?: number) {
  let now = Date.parse('2026-12-01T11:55:00Z');
  const sandbox = await startSandbox({ rows: 20, seed: 11, round: { number: 1240, state: 'late' }, now: () => now });
  sandboxes.push(sandbox);
  if (opensInMs !== undefined) sandbox.openRoundAt(now + opensInMs);
  const clock: Clock = { now: () => new Date(now), sleep: async (ms) => void (now += ms) };
  return { sandbox, clock, now: () => now };
}

describe('wait-for-round with a round past its on-time deadline (sandbox)', () => {
  test('the next round opens within the wait: every model submits to it on time', async () => {
    const w = await lateAt1155(5 * 60_000);
    const run = await cli(w.sandbox, workspace(), 'submit', ['--wait-for-round', '45m'], {}, w.clock);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.report.round, 1241);
    assert.equal(run.report.late, false);
    assert.deepEqual(run.report.models.map((m) => m.status).sort(), EXAMPLE_NAMES.map(() => 'submitted'));
    assert.match(run.stderr, /Round 1240 is past its on-time deadline \(.*\); waiting up to 45 min for the next round/);
    assert.match(run.stderr, /Round 1241 opened at /);
  });

  test('no round opens within the wait: late uploads to the late round, as without waiting', async () => {
    const w = await lateAt1155();
    const started = w.now();
    const run = await cli(w.sandbox, workspace(), 'submit', ['--wait-for-round', '10m'], {}, w.clock);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.report.round, 1240);
    assert.equal(run.report.late, true);
    assert.ok(w.now() - started >= 10 * 60_000);
    assert.match(run.stderr, /No new round opened within 10 min: going on with late round 1240\./);
    assert.match(run.stderr, /submissions now are late/);
  });

  test('without a wait: the late round at once, unchanged', async () => {
    const w = await lateAt1155(5 * 60_000);
    const started = w.now();
    const run = await cli(w.sandbox, workspace(), 'submit', [], {}, w.clock);
    assert.equal(run.report.round, 1240);
    assert.equal(run.report.late, true);
    assert.doesNotMatch(run.stderr, /waiting up to/);
    assert.ok(w.now() - started < 60_000, 'no wait');
  });
});

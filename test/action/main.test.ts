import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withDeadline } from '../../src/github/main.js';
import type { Level } from '../../src/pipeline/ports.js';

function recorder() {
  const entries: { level: Level; message: string }[] = [];
  return { entries, log: (level: Level, message: string) => entries.push({ level, message }) };
}

describe('withDeadline', () => {
  it('gives the result of work that settles in time, quietly', async () => {
    const reporter = recorder();
    assert.equal(await withDeadline('Uploading', Promise.resolve(42), reporter, 1_000), 42);
    assert.deepEqual(reporter.entries, []);
  });

  it('gives up on work that never settles, with a warning, and the run goes on', async () => {
    const reporter = recorder();
    const never = new Promise<number>(() => {});
    assert.equal(await withDeadline('Updating the failure issues', never, reporter, 20), null);
    assert.equal(reporter.entries.length, 1);
    assert.equal(reporter.entries[0].level, 'warning');
    assert.match(reporter.entries[0].message, /^Updating the failure issues did not finish within 0 s; going on without it/);
  });

  it('passes a failure of the work through', async () => {
    await assert.rejects(withDeadline('Uploading', Promise.reject(new Error('boom')), recorder(), 1_000), /boom/);
  });
});

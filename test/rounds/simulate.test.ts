import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DAILY_FILE, WEEKLY_FILE, seeded, simulate, strategies, table } from '../../scripts/simulate.js';
import { CONDITIONS, simulateSeason } from '../../scripts/simulate/season.js';
import { cronFires, cronTimes, readWorkflowSchedule, waitFor } from '../../scripts/simulate/workflow.js';

describe('simulator: the workflow files and their crons', () => {
  test('reads the cron lines and waits of both shipped workflow files', () => {
    for (const file of [WEEKLY_FILE, DAILY_FILE]) {
      const schedule = readWorkflowSchedule(file);
      assert.ok(schedule.runs.length > 0, file);
      for (const run of schedule.runs) assert.ok(cronTimes(run.cron, Date.UTC(2027, 0, 4), Date.UTC(2027, 0, 11)).length > 0, `${run.cron} fires within a week`);
    }
  });
  test('the per-schedule wait expression and plain durations', () => {
    const value = "${{ github.event.schedule == '5 12 * * 2-6' && '50m' || '0' }}";
    assert.equal(waitFor(value, '5 12 * * 2-6', 'f'), 50 * 60_000);
    assert.equal(waitFor(value, '40 13 * * 2-6', 'f'), 0);
    assert.equal(waitFor('30m', 'x', 'f'), 30 * 60_000);
    assert.throws(() => waitFor('${{ inputs.wait }}', 'x', 'f.yml'), /f\.yml: wait-for-round .* cannot read/);
  });
  test('cron matching: lists, ranges, steps, Sunday as 0 or 7', () => {
    assert.deepEqual(cronTimes('17 13 * * 6', Date.UTC(2027, 0, 4), Date.UTC(2027, 0, 11)).map((t) => new Date(t).toISOString()), ['2027-01-09T13:17:00.000Z']);
    assert.ok(cronFires('*/15 12 * * 2-6', new Date('2027-01-05T12:45:00Z')));
    assert.ok(!cronFires('*/15 12 * * 2-6', new Date('2027-01-05T12:46:00Z')));
    assert.ok(cronFires('0 6 * * 7', new Date('2027-01-10T06:00:00Z')));
  });
});

describe('simulator: seasons through the run\'s own decision code', () => {
  const [typical, , throttled] = CONDITIONS;
  test('a webhook that never fails misses nothing, whatever GitHub\'s scheduler does', async () => {
    const webhook = strategies(0).find((s) => s.webhook && s.schedule.length === 0)!;
    const result = await simulateSeason(webhook, throttled, { weeks: 4, openHour: 12, random: seeded(3) });
    assert.equal(result.expected, 20);
    assert.equal(result.missed + result.late, 0);
  });
  test('throttling makes the weekly schedule miss rounds it makes in typical conditions', async () => {
    const weekly = strategies(0.02)[0];
    const ok = await simulateSeason(weekly, typical, { weeks: 12, openHour: 12, random: seeded(5) });
    const bad = await simulateSeason(weekly, throttled, { weeks: 12, openHour: 12, random: seeded(5) });
    assert.ok(bad.missed > ok.missed, `${bad.missed} > ${ok.missed}`);
    assert.ok(ok.billedMinutes >= 12, 'every run bills at least a minute');
  });
  test('the table has a row per strategy and conditions', async () => {
    const rows = await simulate({ weeks: 2, seed: 1, webhookFailure: 0.1 });
    assert.equal(rows.length, 5 * CONDITIONS.length);
    assert.match(table(rows), /^\| strategy \| GitHub \| rounds \| missed \/ 100 \| late \/ 100 \| billed min \/ week \|/);
  });
});

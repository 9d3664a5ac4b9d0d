/** Numerai's submission rules (numerai-tools `submissions.py`), each rule and each message. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkHeaders, checkSubmission, isClose, legacyMessage, MESSAGES, sampleStd } from '../../src/submission/rules.js';

const LIVE = ['n001', 'n002', 'n003', 'n004', 'n005'];
const GOOD = [0.1, 0.3, 0.5, 0.7, 0.9];

describe('messages are numerai-tools\' strings verbatim', () => {
  test('each message', () => {
    assert.equal(MESSAGES.headers(['id'], ['prediction', 'probability']), "invalid_submission_headers: headers must be one of ['id'] and one of ['prediction', 'probability']");
    assert.equal(MESSAGES.nanIds('id'), 'invalid_submission_ids: Submission must not contain NaNs in the id column.');
    assert.equal(MESSAGES.duplicateIds('id'), 'invalid_submission_ids: Duplicates detected in id for live period.');
    assert.equal(MESSAGES.notEnoughIds, 'invalid_submission_ids: Not enough stocks submitted. Are you using the latest live ids or live universe?');
    assert.equal(MESSAGES.nanValues, 'invalid_submission_values: submission must not contain NaNs');
    assert.equal(MESSAGES.range, 'invalid_submission_values: values must be between 0 and 1 exclusive');
    assert.equal(MESSAGES.zeroStd, 'invalid_submission_values: submission must have non-zero standard deviation');
  });

  test('the legacy sentences of the real server (2021–2022)', () => {
    assert.equal(legacyMessage(MESSAGES.range), 'Invalid submission values. Values must be between 0 and 1 exclusive.');
    assert.equal(legacyMessage(MESSAGES.notEnoughIds), 'You must provide predictions for the current live IDs. Make sure you are using the latest live data.');
    assert.equal(legacyMessage(MESSAGES.zeroStd), MESSAGES.zeroStd);
  });
});

describe('headers', () => {
  test('classic: exactly id then prediction or probability', () => {
    assert.deepEqual(checkHeaders(['id', 'prediction']), { ok: true, idIndex: 0, predictionIndex: 1, dateIndex: null });
    assert.equal(checkHeaders(['id', 'probability']).ok, true);
    for (const bad of [['prediction', 'id'], ['id'], ['id', 'prediction', 'extra'], ['', 'id', 'prediction'], ['ID', 'prediction'], ['id', 'target']]) {
      const r = checkHeaders(bad);
      assert.equal(r.ok, false, bad.join(','));
      assert.equal((r as { problem: string }).problem, MESSAGES.headers(['id'], ['prediction', 'probability']));
    }
  });

  test('signals: a ticker column and signal/prediction; a date column is dropped first', () => {
    assert.equal(checkHeaders(['numerai_ticker', 'signal'], 'signals').ok, true);
    assert.deepEqual(checkHeaders(['bloomberg_ticker', 'friday_date', 'prediction'], 'signals'), { ok: true, idIndex: 0, predictionIndex: 2, dateIndex: 1 });
    const bad = checkHeaders(['id', 'signal'], 'signals');
    assert.equal((bad as { problem: string }).problem, "invalid_submission_headers: headers must be one of ['ticker', 'sedol', 'bloomberg_ticker', 'composite_figi', 'numerai_ticker'] and one of ['prediction', 'signal']");
    assert.equal((checkHeaders(['numerai_ticker', 'signal'], 'signals', { requireDate: true }) as { problem: string }).problem, MESSAGES.dateColumn);
  });

  test('crypto: symbol and signal/prediction', () => {
    assert.equal(checkHeaders(['symbol', 'signal'], 'crypto').ok, true);
    assert.equal(checkHeaders(['id', 'prediction'], 'crypto').ok, false);
  });
});

describe('ids', () => {
  test('a valid submission, in any row order', () => {
    assert.deepEqual(checkSubmission(LIVE, GOOD, LIVE), { ok: true, problems: [], extraIds: [], missingIds: [], duplicateIds: [] });
    assert.equal(checkSubmission([...LIVE].reverse(), GOOD, LIVE).ok, true);
  });

  test('NaN ids: an empty id or a pandas NA token', () => {
    for (const na of ['', 'nan', 'NaN', 'NA', 'null', 'None', '#N/A']) {
      const r = checkSubmission([...LIVE, na], [...GOOD, 0.5], LIVE);
      assert.deepEqual(r.problems, [MESSAGES.nanIds('id')], JSON.stringify(na));
    }
  });

  test('duplicates among live ids', () => {
    const r = checkSubmission([...LIVE, 'n003'], [...GOOD, 0.2], LIVE);
    assert.deepEqual(r.problems, [MESSAGES.duplicateIds('id')]);
    assert.deepEqual(r.duplicateIds, ['n003']);
  });

  test('every live id must be present (classic)', () => {
    const r = checkSubmission(LIVE.slice(1), GOOD.slice(1), LIVE);
    assert.deepEqual(r.problems, [MESSAGES.notEnoughIds]);
    assert.deepEqual(r.missingIds, ['n001']);
  });

  test('ids outside the live set are filtered out, not an error (and their values are not checked)', () => {
    const r = checkSubmission([...LIVE, 'old1', 'old1'], [...GOOD, 5, NaN], LIVE);
    assert.equal(r.ok, true);
    assert.deepEqual(r.extraIds, ['old1']);
  });

  test('stale ids only: not enough stocks', () => {
    assert.deepEqual(checkSubmission(['x1', 'x2'], [0.2, 0.4], LIVE).problems, [MESSAGES.notEnoughIds]);
  });

  test('signals and crypto need 100 live tickers, not all of them', () => {
    const universe = Array.from({ length: 150 }, (_, i) => `T${i}`);
    const some = universe.slice(0, 100);
    const vals = some.map((_, i) => (i + 1) / 101);
    assert.equal(checkSubmission(some, vals, universe, { rules: 'signals', idColumn: 'numerai_ticker' }).ok, true);
    const few = checkSubmission(some.slice(0, 99), vals.slice(0, 99), universe, { rules: 'crypto', idColumn: 'symbol' });
    assert.deepEqual(few.problems, [MESSAGES.notEnoughIds]);
    assert.equal(checkSubmission([...some, ''], [...vals, 0.5], universe, { rules: 'signals', idColumn: 'numerai_ticker' }).problems[0], 'invalid_submission_ids: Submission must not contain NaNs in the numerai_ticker column.');
  });
});

describe('values', () => {
  test('NaN', () => {
    assert.deepEqual(checkSubmission(LIVE, [0.1, NaN, 0.5, 0.7, 0.9], LIVE).problems, [MESSAGES.nanValues]);
  });

  test('below 0 or above 1', () => {
    assert.deepEqual(checkSubmission(LIVE, [-0.1, 0.3, 0.5, 0.7, 0.9], LIVE).problems, [MESSAGES.range]);
    assert.deepEqual(checkSubmission(LIVE, [0.1, 0.3, 0.5, 0.7, 1.5], LIVE).problems, [MESSAGES.range]);
    assert.deepEqual(checkSubmission(LIVE, [0.1, 0.3, 0.5, 0.7, Infinity], LIVE).problems, [MESSAGES.range]);
  });

  test('exactly 0 and 1 pass, as numerai-tools tests between(0, 1) inclusively (despite the message)', () => {
    assert.equal(checkSubmission(LIVE, [0, 0.3, 0.5, 0.7, 1], LIVE).ok, true);
  });

  test("numpy isclose tolerance at the bounds: -1e-9 and 1 + 1e-6 pass, -1e-7 and 1 + 1e-4 don't", () => {
    assert.equal(checkSubmission(LIVE, [-1e-9, 0.3, 0.5, 0.7, 0.9], LIVE).ok, true);
    assert.equal(checkSubmission(LIVE, [0.1, 0.3, 0.5, 0.7, 1 + 1e-6], LIVE).ok, true);
    assert.equal(checkSubmission(LIVE, [-1e-7, 0.3, 0.5, 0.7, 0.9], LIVE).ok, false);
    assert.equal(checkSubmission(LIVE, [0.1, 0.3, 0.5, 0.7, 1 + 1e-4], LIVE).ok, false);
  });

  test('zero standard deviation (constant, or within 1e-8)', () => {
    assert.deepEqual(checkSubmission(LIVE, [0.5, 0.5, 0.5, 0.5, 0.5], LIVE).problems, [MESSAGES.zeroStd]);
    assert.deepEqual(checkSubmission(LIVE, [0.5, 0.5 + 1e-9, 0.5, 0.5, 0.5], LIVE).problems, [MESSAGES.zeroStd]);
    assert.equal(checkSubmission(LIVE, [0.5, 0.5 + 1e-6, 0.5, 0.5, 0.5], LIVE).ok, true);
  });

  test('one live row: pandas std is NaN, which is not close to 0', () => {
    assert.equal(checkSubmission(['a'], [0.5], ['a']).ok, true);
  });

  test('values of the live rows only', () => {
    assert.equal(checkSubmission([...LIVE, 'stale'], [...GOOD, 7], LIVE).ok, true);
  });

  test('every failed check is listed, first the one numerai-tools would raise', () => {
    const r = checkSubmission(['n001', 'n001', ''], [2, 2, 2], LIVE);
    assert.deepEqual(r.problems, [MESSAGES.nanIds('id'), MESSAGES.duplicateIds('id'), MESSAGES.notEnoughIds, MESSAGES.range, MESSAGES.zeroStd]);
  });

  test('typed arrays are accepted', () => {
    assert.equal(checkSubmission(LIVE, Float32Array.from(GOOD), LIVE).ok, true);
  });

  test('mismatched lengths are a programming error', () => {
    assert.throws(() => checkSubmission(LIVE, [0.5], LIVE), /5 ids but 1 predictions/);
  });
});

test('numpy helpers', () => {
  assert.equal(isClose(0, 1e-8), true);
  assert.equal(isClose(0, 2e-8), false);
  assert.equal(isClose(1 + 1e-5, 1), true);
  assert.equal(isClose(NaN, 0), false);
  assert.ok(Math.abs(sampleStd([1, 2, 3, 4]) - 1.2909944487358056) < 1e-15);
  assert.ok(Number.isNaN(sampleStd([1])));
});

/** Submission CSV: the writer (exact round trip), the reader (pandas-like), and the whole-file check. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSubmissionCsv, formatFloat, parseFloatCell, parseSubmissionCsv, submissionCsv } from '../../src/submission/csv.js';
import { MESSAGES } from '../../src/submission/rules.js';

describe('writer', () => {
  test('header id,prediction, one row per id, LF line ends', () => {
    assert.equal(submissionCsv(['a', 'b'], [0.25, 0.75]), 'id,prediction\na,0.25\nb,0.75\n');
    assert.equal(submissionCsv([], []), 'id,prediction\n');
  });

  test('full precision: every double written parses back to the same double', () => {
    const hard = [0.1, 0.30000000000000004, 1 / 3, 2 / 3, 5e-324, 1e-7, 0.9999999999999999, Number.EPSILON, 0.12345678901234568, Math.fround(0.7), 1 - 2 ** -53];
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = [...hard, ...Array.from({ length: 5000 }, () => random()), ...Array.from({ length: 1000 }, () => random() * 10 ** -Math.floor(random() * 20))];
    const ids = values.map((_, i) => `n${i.toString(16).padStart(15, '0')}`);
    const parsed = parseSubmissionCsv(submissionCsv(ids, values));
    assert.deepEqual(parsed.ids, ids);
    for (let i = 0; i < values.length; i++) assert.ok(Object.is(parsed.predictions[i], values[i]), `${values[i]} came back as ${parsed.predictions[i]}`);
  });

  test('Float32Array input: the float32 values exactly', () => {
    const f32 = Float32Array.from([0.1, 0.2, 0.7]);
    const parsed = parseSubmissionCsv(submissionCsv(['a', 'b', 'c'], f32));
    assert.deepEqual(parsed.predictions, Array.from(f32));
  });

  test('NaN is an empty cell, infinities inf/-inf (as pandas writes them)', () => {
    assert.equal(formatFloat(NaN), '');
    assert.equal(formatFloat(Infinity), 'inf');
    assert.equal(formatFloat(-Infinity), '-inf');
    assert.equal(submissionCsv(['a'], [NaN]), 'id,prediction\na,\n');
  });

  test('ids with commas or quotes are quoted', () => {
    const csv = submissionCsv(['a,b', 'c"d'], [0.1, 0.2]);
    assert.equal(csv, 'id,prediction\n"a,b",0.1\n"c""d",0.2\n');
    assert.deepEqual(parseSubmissionCsv(csv).ids, ['a,b', 'c"d']);
  });

  test('mismatched lengths throw', () => {
    assert.throws(() => submissionCsv(['a'], []), /1 ids but 0 predictions/);
  });
});

describe('reader', () => {
  test('pandas to_csv output, CRLF, BOM, trailing blank lines', () => {
    const r = parseSubmissionCsv('\ufeffid,prediction\r\nn1,0.5\r\nn2,1e-3\r\n\r\n');
    assert.deepEqual(r.header, ['id', 'prediction']);
    assert.deepEqual(r.ids, ['n1', 'n2']);
    assert.deepEqual(r.predictions, [0.5, 0.001]);
  });

  test('Uint8Array input', () => {
    assert.deepEqual(parseSubmissionCsv(new TextEncoder().encode('id,prediction\nx,0.1\n')).predictions, [0.1]);
  });

  test('empty cells and pandas NA tokens are NaN; inf is Infinity', () => {
    const r = parseSubmissionCsv('id,prediction\na,\nb,nan\nc,NA\nd,inf\ne,-inf\n');
    assert.ok(r.predictions.slice(0, 3).every(Number.isNaN));
    assert.deepEqual(r.predictions.slice(3), [Infinity, -Infinity]);
    assert.equal(parseFloatCell(' 0.5 '), 0.5);
    assert.equal(parseFloatCell('0x10'), null);
  });

  test('other headers are returned for the rules to judge; known column names are found by name', () => {
    const r = parseSubmissionCsv('prediction,id\n0.2,a\n');
    assert.deepEqual(r.header, ['prediction', 'id']);
    assert.deepEqual(r.ids, ['a']);
    assert.deepEqual(r.predictions, [0.2]);
    const s = parseSubmissionCsv('numerai_ticker,friday_date,signal\nAAPL US,20260327,0.3\n');
    assert.deepEqual([s.ids, s.predictions], [['AAPL US'], [0.3]]);
  });

  test('malformed files throw a clear error naming the problem', () => {
    assert.throws(() => parseSubmissionCsv(''), /Malformed submission CSV: the file is empty/);
    assert.throws(() => parseSubmissionCsv('id,prediction\na,0.1,9\n'), /Malformed submission CSV: .*Invalid Record Length/);
    assert.throws(() => parseSubmissionCsv('id,prediction\n"a,0.1\n'), /Malformed submission CSV: .*Quote Not Closed/i);
    assert.throws(() => parseSubmissionCsv('id,prediction\na,0.1\nb,high\n'), /Malformed submission CSV: line 3: prediction "high" is not a number/);
  });
});

describe('checkSubmissionCsv', () => {
  const live = ['a', 'b', 'c'];
  test('a valid file', () => {
    assert.equal(checkSubmissionCsv('id,prediction\na,0.1\nb,0.5\nc,0.9\n', live).ok, true);
  });
  test('headers first, as numerai-tools', () => {
    assert.deepEqual(checkSubmissionCsv(',id,prediction\n0,a,0.1\n', live).problems, [MESSAGES.headers(['id'], ['prediction', 'probability'])]);
  });
  test('an unreadable file is one problem', () => {
    const r = checkSubmissionCsv('id,prediction\na,x\n', live);
    assert.equal(r.ok, false);
    assert.match(r.problems[0], /^Malformed submission CSV/);
  });
  test('empty id cells are NaN ids', () => {
    assert.deepEqual(checkSubmissionCsv('id,prediction\na,0.1\nb,0.5\nc,0.9\n,0.3\n', live).problems, [MESSAGES.nanIds('id')]);
  });
  test('signals', () => {
    const tickers = Array.from({ length: 120 }, (_, i) => `T${i} US`);
    const csv = `numerai_ticker,signal\n${tickers.map((t, i) => `${t},${(i + 1) / 121}`).join('\n')}\n`;
    assert.equal(checkSubmissionCsv(csv, tickers, 'signals').ok, true);
    assert.equal(checkSubmissionCsv(csv, tickers, 'classic').ok, false);
  });
});

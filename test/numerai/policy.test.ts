import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DownloadError } from '../../src/data/download.js';
import { errorClassOf } from '../../src/numerai/error-class.js';
import { classifyGraphqlMessages, NumeraiError, type NumeraiErrorKind } from '../../src/numerai/errors.js';
import { displayUrl, redactorFor } from '../../src/http/redact.js';
import { backoffDelay, parseRetryAfter } from '../../src/http/retry.js';

test('backoff doubles from the base, is capped, and jitters within the upper half of each step', () => {
  const policy = { backoffBaseMs: 1_000, backoffMaxMs: 5_000 };
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...policy, random: () => 0 })), [500, 1_000, 2_000, 2_500, 2_500]);
  assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, { ...policy, random: () => 0.999999 })), [1_000, 2_000, 4_000]);
});

test('Retry-After: delta seconds or an HTTP date; nothing for absent or garbage', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('0.5', now), 500);
  assert.equal(parseRetryAfter('Sat, 28 Nov 2026 12:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
});

test('the first recognised message decides the kind; unknown messages are left to the caller', () => {
  assert.equal(classifyGraphqlMessages(['something odd', 'Your session is invalid or has expired.']), 'auth');
  assert.equal(classifyGraphqlMessages(['Cannot query field "foo" on type "Round".']), 'validation');
  assert.equal(classifyGraphqlMessages(['Dataset not found: v9/x.parquet']), 'not-found');
  assert.equal(classifyGraphqlMessages(['invalid tournament']), undefined);
});

test('the report class of every error kind', () => {
  const cases: [NumeraiErrorKind, string, string][] = [
    ['auth', 'account', 'AccountError'],
    ['permission', 'submissions', 'AccountError'],
    ['validation', 'rounds', 'InternalError'],
    ['not-found', 'dataset', 'DataError'],
    ['not-found', 'submissions', 'AccountError'],
    ['not-found', 'create_submission', 'SubmissionRejected'],
    ['rejected', 'create_submission', 'SubmissionRejected'],
    ['rejected', 'upload', 'SubmissionRejected'],
    ['rejected', 'listDatasets', 'DataError'],
    ['not-open', 'create_submission', 'SubmissionRejected'],
    ['rate-limit', 'rounds', 'NetworkError'],
    ['server', 'rounds', 'NetworkError'],
    ['network', 'rounds', 'NetworkError'],
    ['timeout', 'rounds', 'NetworkError'],
    ['protocol', 'rounds', 'NetworkError'],
    ['ambiguous', 'create_submission', 'NetworkError'],
  ];
  for (const [kind, operation, expected] of cases) {
    assert.equal(errorClassOf(new NumeraiError('x', { kind, operation })), expected, `${kind} on ${operation}`);
  }
  assert.equal(errorClassOf(new DownloadError('x', { kind: 'http', status: 404, url: 'u' })), 'DataError');
  assert.equal(errorClassOf(new DownloadError('x', { kind: 'http', status: 503, url: 'u' })), 'NetworkError');
  assert.equal(errorClassOf(new DownloadError('x', { kind: 'stall', url: 'u' })), 'NetworkError');
  assert.equal(errorClassOf(new DownloadError('x', { kind: 'timeout', url: 'u' })), 'NetworkError');
  assert.equal(errorClassOf(new DownloadError('x', { kind: 'filesystem', url: 'u' })), 'DataError');
  assert.equal(errorClassOf(new TypeError('bug')), 'InternalError');
});

test('redaction covers the plain and URL-encoded secret; URLs are shown without query or credentials', () => {
  const redact = redactorFor(['s3cr$t/+key', undefined, 'ab']);
  assert.equal(redact('a s3cr$t/+key b s3cr%24t%2F%2Bkey c ab'), 'a *** b *** c ab');
  assert.equal(displayUrl('https://user:pw@host.example/v5.3/live.parquet?X-Amz-Signature=abc'), 'https://host.example/v5.3/live.parquet');
  assert.equal(displayUrl('not a url'), '<invalid URL>');
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSanitizer, truncate } from '../../src/github/sanitize.js';

const SECRET = 'sEcReT/Key+With$Odd=Chars"';

describe('createSanitizer', () => {
  const sanitize = createSanitizer([SECRET, 'PUBLICID42', '', undefined, 'ab']);

  it('removes secret values, also URL- and JSON-escaped', () => {
    const text = `raw ${SECRET} url ${encodeURIComponent(SECRET)} json ${JSON.stringify({ k: SECRET })} id PUBLICID42`;
    const clean = sanitize(text);
    for (const form of [SECRET, encodeURIComponent(SECRET), JSON.stringify(SECRET).slice(1, -1), 'PUBLICID42']) {
      assert.ok(!clean.includes(form), `${form} survived in ${clean}`);
    }
  });

  it('masks credential shapes whose values it was never told', () => {
    assert.equal(sanitize('header Token abc123$def456 sent'), 'header Token *** sent');
    assert.equal(sanitize('Bearer eyJhbGciOi.J9.x'), 'Bearer ***');
    assert.equal(sanitize('{"Authorization": "Basic dXNlcjpwYXNz"}'), '{"Authorization": "***"}');
    assert.equal(
      sanitize('GET https://b.s3.amazonaws.com/x.csv?X-Amz-Credential=AKIA1&X-Amz-Signature=f00d&part=1'),
      'GET https://b.s3.amazonaws.com/x.csv?X-Amz-Credential=***&X-Amz-Signature=***&part=1',
    );
    assert.equal(sanitize('https://user:hunter2@example.com/path'), 'https://***@example.com/path');
  });

  it('ignores values too short to be secrets and leaves ordinary text alone', () => {
    const text = 'model ab failed at round 1234: input "features" expects 705 columns';
    assert.equal(sanitize(text), text);
  });
});

describe('truncate', () => {
  it('keeps short text and cuts long text to exactly the limit, saying how much went', () => {
    assert.equal(truncate('short', 10), 'short');
    const cut = truncate('x'.repeat(10_000), 200);
    assert.equal(cut.length, 200);
    const omitted = Number(/\[(\d+) more characters truncated\]$/.exec(cut)?.[1]);
    assert.equal(200 - (cut.length - cut.indexOf('…')) + omitted, 10_000);
  });
});

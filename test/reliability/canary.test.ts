/**
 * The canary secret against a hostile server: at every Numerai step the server answers with an error that echoes
 * the key (as a misconfigured gateway or a verbose error page might). The key must appear in no log line, report,
 * CSV, data file or error message. (The GitHub side — artifacts, issues, action log — is checked in every cell of
 * github-faults.test.ts; the Numerai fault and bad-input matrices check every run they make.)
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Sandbox } from '../../src/sandbox/server.js';
import {
  assertRunHasNoCanary,
  CANARY_PUBLIC_ID,
  CANARY_SECRET,
  describeOutcome,
  reliabilitySandbox,
  removeWorkspace,
  resetSandbox,
  runRound,
  workspace,
} from './kit.js';
import { scenario } from './results.js';

const ECHO = `invalid token: Token ${CANARY_PUBLIC_ID}$${CANARY_SECRET} (secret ${CANARY_SECRET})`;

const STEPS: { step: string; operation: string; times: number }[] = [
  { step: 'round', operation: 'rounds', times: Infinity },
  { step: 'models', operation: 'account', times: Infinity },
  { step: 'submission status', operation: 'submissions', times: 1 },
  { step: 'dataset URL', operation: 'dataset', times: Infinity },
  { step: 'dataset GET', operation: 'download', times: Infinity },
  { step: 'upload auth', operation: 'submission_upload_auth', times: 1 },
  { step: 'PUT', operation: 'upload', times: 1 },
  { step: 'create_submission', operation: 'create_submission', times: 1 },
];

describe('canary secret', { concurrency: false }, () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await reliabilitySandbox();
    await sandbox.ready();
  });
  after(() => sandbox.close());

  for (const { step, operation, times } of STEPS) {
    scenario(
      {
        matrix: 'canary',
        step,
        fault: 'the server echoes the secret key in its error',
        expected: 'the failure is reported with the key masked (***); the key is in no log, report, CSV or data file',
        boundMs: 15_000,
      },
      async () => {
        resetSandbox(sandbox);
        const ws = workspace();
        try {
          sandbox.inject(operation, { kind: 'graphql-400', message: ECHO, times });
          const run = await runRound(sandbox, ws);
          assert.ok(run.report.error || run.report.totals.failed > 0, `the echoed error was not met: ${describeOutcome(run.report)}`);
          assertRunHasNoCanary(run, ws);
          assert.match(run.log, /\*\*\*/, 'the failure is still reported, with the key masked');
          return `${describeOutcome(run.report)}; key masked in the log and report`;
        } finally {
          removeWorkspace(ws);
        }
      },
    );
  }

  scenario(
    {
      matrix: 'canary',
      step: 'API keys',
      fault: 'a wrong secret key that contains the real one',
      expected: 'AccountError; neither key appears anywhere',
      boundMs: 15_000,
    },
    async () => {
      resetSandbox(sandbox);
      const ws = workspace();
      try {
        const run = await runRound(sandbox, ws, { secretKey: `${CANARY_SECRET}-OLD` });
        assert.equal(run.report.error?.errorClass, 'AccountError');
        assertRunHasNoCanary(run, ws);
        return describeOutcome(run.report);
      } finally {
        removeWorkspace(ws);
      }
    },
  );
});

/** The run artifact through the real @actions/artifact client and the results-service emulator. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { artifactName, uploadRunArtifacts } from '../../src/github/artifacts.js';
import type { RunReport } from '../../src/pipeline/report.js';
import { ActionsResultsEmulator } from '../emulators/actions-results.js';
import { captureStdout, recordingLogger } from '../emulators/capture.js';
import { setEnv } from '../emulators/env.js';
import { sampleReport } from './sample-report.js';

let emulator: ActionsResultsEmulator;
let root: string;
let outputDir: string;
let restoreEnv: () => void;

before(async () => {
  emulator = await ActionsResultsEmulator.start({ runId: '555', runAttempt: '2' });
  root = await mkdtemp(path.join(os.tmpdir(), 'artifacts-'));
  outputDir = path.join(root, 'ws', 'numerai-output');
  await mkdir(outputDir, { recursive: true });
  await mkdir(path.join(root, 'tmp'), { recursive: true });
  restoreEnv = setEnv(emulator.runnerEnv({ workspace: path.join(root, 'ws'), runnerTemp: path.join(root, 'tmp') }));
});

after(async () => {
  restoreEnv();
  await emulator.close();
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  emulator.faults.clear();
  for (const artifact of emulator.artifacts()) {
    await captureStdout(async () => {
      const { DefaultArtifactClient } = await import('@actions/artifact');
      await new DefaultArtifactClient().deleteArtifact(artifact.name);
    });
  }
});

/** Writes the report and the CSVs it names into the output folder, the way the pipeline leaves them. */
async function writeRun(report: RunReport): Promise<{ report: RunReport; reportPath: string }> {
  const models = [];
  for (const model of report.models) {
    if (model.status === 'submitted' || model.status === 'dry-run') {
      const csvPath = path.join(outputDir, `${model.model}.csv`);
      await writeFile(csvPath, `id,prediction\nn001,0.25\nn002,0.75\n`);
      models.push({ ...model, csvPath });
    } else {
      models.push(model);
    }
  }
  const full = { ...report, models };
  const reportPath = path.join(outputDir, 'report.json');
  await writeFile(reportPath, JSON.stringify(full, null, 2));
  return { report: full, reportPath };
}

describe('artifactName', () => {
  it('is unique to the run attempt and keeps only characters artifact names allow', () => {
    assert.equal(artifactName('555', '2'), 'numerai-submissions-555-2');
    assert.equal(artifactName('555', '2', 'shard: a/b'), 'numerai-submissions-555-2-shard-a-b');
  });
});

describe('uploadRunArtifacts', () => {
  it('uploads the CSVs and the JSON report under the run-attempt name', async () => {
    const { report, reportPath } = await writeRun(sampleReport());
    const logger = recordingLogger();
    const { result } = await captureStdout(() =>
      uploadRunArtifacts({ report, reportPath, runId: '555', runAttempt: '2', logger }),
    );
    assert.equal(result?.name, 'numerai-submissions-555-2');
    assert.deepEqual(logger.at('warning'), []);

    const files = emulator.artifactFiles('numerai-submissions-555-2');
    assert.deepEqual(files.map((f) => f.path).sort(), ['alpha_lgbm.csv', 'report.json']);
    const csv = files.find((f) => f.path === 'alpha_lgbm.csv');
    assert.equal(csv?.content.toString(), 'id,prediction\nn001,0.25\nn002,0.75\n');
    const json = JSON.parse(files.find((f) => f.path === 'report.json')?.content.toString() ?? '{}') as RunReport;
    assert.equal(json.round, 1234);
  });

  it('names a second job of the same run attempt by its models instead of failing on the 409', async () => {
    const { report, reportPath } = await writeRun(sampleReport());
    const logger = recordingLogger();
    await captureStdout(() => uploadRunArtifacts({ report, reportPath, runId: '555', runAttempt: '2', logger }));
    const { result } = await captureStdout(() =>
      uploadRunArtifacts({ report, reportPath, runId: '555', runAttempt: '2', logger }),
    );
    assert.match(result?.name ?? '', /^numerai-submissions-555-2-models-[0-9a-f]{8}$/);
    assert.equal(emulator.artifacts().length, 2);
    assert.deepEqual(logger.at('warning'), []);
  });

  it('turns a service failure into a warning and resolves to null', async () => {
    const { report, reportPath } = await writeRun(sampleReport());
    emulator.fault('ArtifactService/CreateArtifact', { kind: 'status', status: 403, message: 'artifact storage quota has been hit' });
    const logger = recordingLogger();
    const { result } = await captureStdout(() =>
      uploadRunArtifacts({ report, reportPath, runId: '555', runAttempt: '2', logger }),
    );
    assert.equal(result, null);
    assert.match(logger.at('warning').join('\n'), /Could not upload the artifact numerai-submissions-555-2 .*quota has been hit.*submissions are not affected/);
  });

  it('warns instead of throwing when the job has no runtime token', async () => {
    const { report, reportPath } = await writeRun(sampleReport());
    const unset = setEnv({ ACTIONS_RUNTIME_TOKEN: undefined });
    try {
      const logger = recordingLogger();
      const { result } = await captureStdout(() =>
        uploadRunArtifacts({ report, reportPath, runId: '555', runAttempt: '2', logger }),
      );
      assert.equal(result, null);
      assert.match(logger.at('warning').join('\n'), /ACTIONS_RUNTIME_TOKEN/);
    } finally {
      unset();
    }
  });

  it('skips files the report names but that do not exist, with a warning', async () => {
    const { report, reportPath } = await writeRun(sampleReport());
    const broken = { ...report, models: [...report.models, { ...report.models[0], model: 'ghost', csvPath: path.join(outputDir, 'ghost.csv') }] };
    const logger = recordingLogger();
    const { result } = await captureStdout(() =>
      uploadRunArtifacts({ report: broken, reportPath, runId: '555', runAttempt: '2', logger, suffix: 'x' }),
    );
    assert.deepEqual(result?.files.sort(), ['alpha_lgbm.csv', 'report.json']);
    assert.match(logger.at('warning').join('\n'), /ghost\.csv .*does not exist/);
  });
});

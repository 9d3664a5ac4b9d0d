/** A run report with one model in every state, shared by the GitHub adapter tests. */
import type { ModelReport, RunReport } from '../../src/pipeline/report.js';

export function sampleReport(overrides: Partial<RunReport> = {}, models?: ModelReport[]): RunReport {
  const list: ModelReport[] = models ?? [
    {
      model: 'alpha_lgbm',
      modelId: 'id-alpha',
      status: 'submitted',
      stage: 'upload',
      round: 1234,
      rows: 5210,
      stats: { mean: 0.5, std: 0.2887, min: 0.0001, max: 0.9999 },
      csvPath: 'alpha_lgbm.csv',
      submissionId: 'sub-1',
      durations: { data: 1200, predict: 350, validate: 12, upload: 800 },
    },
    {
      model: 'beta_nn',
      modelId: 'id-beta',
      status: 'skipped',
      stage: 'plan',
      round: 1234,
      reason: 'already submitted for round 1234',
      durations: { plan: 40 },
    },
    {
      model: 'gamma_ens',
      modelId: 'id-gamma',
      status: 'failed',
      stage: 'predict',
      round: 1234,
      errorClass: 'ModelError',
      message: 'models/gamma_ens/b.onnx: input "features" expects 705 columns, the feature set "medium" has 780',
      durations: { data: 1100, predict: 20 },
    },
  ];
  const totals = { submitted: 0, skipped: 0, failed: 0, 'dry-run': 0 };
  for (const m of list) totals[m.status] += 1;
  return {
    schemaVersion: 2,
    tournament: 8,
    round: 1234,
    late: false,
    dryRun: false,
    startedAt: '2026-11-28T13:05:00.000Z',
    finishedAt: '2026-11-28T13:05:42.500Z',
    models: list,
    datasets: [{ file: 'v5.2/live.parquet', source: 'store', bytes: 7_340_032 }],
    totals,
    ...overrides,
  };
}

/**
 * Every input, output and environment variable name of the action, named once. action.yml, inputs.ts, main.ts
 * and the tests all refer to these, so a rename happens in exactly one place (test/action/action-yml.test.ts
 * checks that action.yml declares exactly these).
 */

export const Inputs = {
  PublicId: 'public-id',
  SecretKey: 'secret-key',
  ModelsDir: 'models-dir',
  Models: 'models',
  DryRun: 'dry-run',
  Force: 'force',
  TriggerId: 'trigger-id',
  Cache: 'cache',
  DataDir: 'data-dir',
  OutputDir: 'output-dir',
  OpenIssues: 'open-issues',
  GithubToken: 'github-token',
  UploadArtifacts: 'upload-artifacts',
  FailOnError: 'fail-on-error',
  ApiUrl: 'api-url',
  Threads: 'threads',
  KeepScheduleAlive: 'keep-schedule-alive',
  WaitForRound: 'wait-for-round',
  ExpectRounds: 'expect-rounds',
  ShowScores: 'show-scores',
  ScoreRounds: 'score-rounds',
} as const;
export type InputName = (typeof Inputs)[keyof typeof Inputs];

export const Outputs = {
  /** The round number, or empty when no round was open. */
  Round: 'round',
  /** JSON list of model names submitted in this run. */
  Submitted: 'submitted',
  /** JSON list of model names skipped (already submitted this round). */
  Skipped: 'skipped',
  /** JSON list of model names that failed. */
  Failed: 'failed',
  /** Absolute path of the JSON run report. */
  Report: 'report',
} as const;
export type OutputName = (typeof Outputs)[keyof typeof Outputs];

/** Environment variables the runner sets and the action reads (nothing else reads the environment). */
export const RunnerEnv = {
  Workspace: 'GITHUB_WORKSPACE',
  RunnerTemp: 'RUNNER_TEMP',
  Repository: 'GITHUB_REPOSITORY',
  RunId: 'GITHUB_RUN_ID',
  RunAttempt: 'GITHUB_RUN_ATTEMPT',
  ServerUrl: 'GITHUB_SERVER_URL',
  ApiUrl: 'GITHUB_API_URL',
  Workflow: 'GITHUB_WORKFLOW',
  WorkflowRef: 'GITHUB_WORKFLOW_REF',
  EventPath: 'GITHUB_EVENT_PATH',
  Job: 'GITHUB_JOB',
  Sha: 'GITHUB_SHA',
  RetentionDays: 'GITHUB_RETENTION_DAYS',
  EventName: 'GITHUB_EVENT_NAME',
  ActionRepository: 'GITHUB_ACTION_REPOSITORY',
} as const;

/** Default input values; action.yml repeats them for the marketplace page and a test keeps the two equal. */
export const InputDefaults = {
  [Inputs.ModelsDir]: 'models',
  [Inputs.DryRun]: 'false',
  [Inputs.Force]: 'false',
  [Inputs.Cache]: 'true',
  [Inputs.DataDir]: '.numerai-data',
  [Inputs.OutputDir]: '',
  [Inputs.OpenIssues]: 'true',
  [Inputs.GithubToken]: '${{ github.token }}',
  [Inputs.UploadArtifacts]: 'true',
  [Inputs.FailOnError]: 'true',
  [Inputs.ApiUrl]: 'https://api-tournament.numer.ai',
  [Inputs.Threads]: 'auto',
  [Inputs.KeepScheduleAlive]: 'false',
  [Inputs.WaitForRound]: '0',
  [Inputs.ExpectRounds]: 'weekend',
  [Inputs.ShowScores]: 'true',
  [Inputs.ScoreRounds]: '20',
} as const satisfies Partial<Record<InputName, string>>;

/** Folder under RUNNER_TEMP for CSVs and the report when `output-dir` is not given. */
export const DEFAULT_OUTPUT_SUBDIR = 'numerai-autopilot';

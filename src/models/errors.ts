/**
 * Problems with a model, in the two forms the rest of the project consumes: a list of issues (every problem of a
 * model folder at once, for `check` and for the run report) and errors that carry them (the pipeline's error
 * classes: ConfigError for the folder and manifest, ModelError for an ONNX file that cannot produce predictions).
 */

/** One problem of one model's configuration: where it is (file, field) and what would be valid. */
export interface ModelConfigIssue {
  /** The model (its folder name). */
  model: string;
  /** The file the problem is in, as the user would type it (e.g. "models/example_gbt/model.yml"). */
  file: string;
  /** The field of model.yml, in path notation ("onnx[1].weight"), or null for the file as a whole. */
  field: string | null;
  /** What is wrong and what would be valid. */
  message: string;
}

export function formatIssue(issue: ModelConfigIssue): string {
  return issue.field === null ? `${issue.file}: ${issue.message}` : `${issue.file}: ${issue.field}: ${issue.message}`;
}

/** A model folder or manifest is invalid (the report's error class ConfigError). */
export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
  readonly errorClass = 'ConfigError' as const;
  constructor(
    readonly model: string,
    readonly issues: readonly ModelConfigIssue[],
  ) {
    super(
      issues.length === 1
        ? `model ${model}: ${formatIssue(issues[0])}`
        : `model ${model} has ${issues.length} configuration problems:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
    );
  }
}

/** An ONNX file could not produce usable predictions (the report's error class ModelError). */
export class ModelError extends Error {
  override name = 'ModelError';
  readonly errorClass = 'ModelError' as const;
  constructor(
    readonly model: string,
    /** The ONNX file (or model.yml) concerned. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`model ${model}: ${file}: ${message}`, options);
  }
}

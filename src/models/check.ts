/**
 * `numerai-autopilot check`: the models folder validated without submitting anything — every model's manifest,
 * ONNX files and signatures, and, when the dataset's features.json is at hand, its feature set or names and the
 * width of every input.
 */
import { formatIssue, type ModelConfigIssue } from './errors.js';
import { resolveFeatures, type FeatureSetsDocument } from './features.js';
import { loadModels, type LoadOptions } from './load.js';
import { describeShape } from './signature-check.js';

export interface MemberSummary {
  file: string;
  /** Normalised weight (1 for a single file). */
  weight: number;
  /** e.g. `float_input float32 [N, 780]`. */
  input: string;
  /** e.g. `probabilities[1]`. */
  output: string;
}

export interface ModelCheck {
  name: string;
  ok: boolean;
  enabled: boolean;
  dataset: string | null;
  /** e.g. `medium` or `list of 42`. */
  features: string | null;
  /** The number of features once resolved against features.json. */
  featureCount: number | null;
  postprocess: string | null;
  members: MemberSummary[];
  errors: ModelConfigIssue[];
  /** What could not be checked, and why. */
  notes: string[];
}

export interface CheckReport {
  modelsDir: string;
  /** False when any enabled model has a problem (a disabled model's problems are reported but do not count). */
  ok: boolean;
  models: ModelCheck[];
}

export async function checkModelsFolder(
  modelsDir: string,
  /** features.json by dataset version: a Map, or one document for every version (`check --features-json`). */
  featuresByDataset: Pick<ReadonlyMap<string, FeatureSetsDocument>, 'get'> = new Map(),
  options: LoadOptions = {},
): Promise<CheckReport> {
  // onnxruntime opens every file: a check is where a model it cannot run should show, before any run.
  const results = await loadModels(modelsDir, { openSessions: true, ...options });
  const models: ModelCheck[] = results.map((result) => {
    if (!result.ok) {
      return {
        name: result.name,
        ok: false,
        enabled: result.enabled,
        dataset: null,
        features: null,
        featureCount: null,
        postprocess: null,
        members: [],
        errors: result.errors,
        notes: [],
      };
    }
    const model = result.model;
    const check: ModelCheck = {
      name: model.name,
      ok: true,
      enabled: model.enabled,
      dataset: model.dataset,
      features: model.features.kind === 'set' ? model.features.name : `list of ${model.features.names.length}`,
      featureCount: model.features.kind === 'list' ? model.features.names.length : null,
      postprocess: model.postprocess,
      members: model.members.map((m) => ({
        file: m.file,
        weight: m.weight,
        input: `${m.plan.inputName} ${m.plan.inputType} ${describeShape([m.plan.fixedBatch, m.plan.width])}`,
        output: m.plan.output.column === null ? m.plan.output.name : `${m.plan.output.name}[${m.plan.output.column}]`,
      })),
      errors: [],
      notes: [],
    };
    const featuresJson = featuresByDataset.get(model.dataset);
    if (!featuresJson) {
      check.notes.push(`feature names not checked: no ${model.dataset}/features.json at hand`);
      return check;
    }
    const resolved = resolveFeatures(model, featuresJson);
    if (resolved.ok) {
      check.featureCount = resolved.features.length;
    } else {
      check.ok = false;
      check.errors = resolved.errors;
    }
    return check;
  });
  return { modelsDir, ok: models.every((m) => m.ok || !m.enabled), models };
}

/** The report as lines of text for a terminal. */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const model of report.models) {
    const state = model.ok ? 'ok' : 'FAILED';
    const disabled = model.enabled ? '' : ' (disabled)';
    lines.push(`${state.padEnd(6)} ${model.name}${disabled}`);
    if (model.dataset) {
      const count = model.featureCount === null ? '' : ` (${model.featureCount} features)`;
      lines.push(`       dataset ${model.dataset}, features ${model.features}${count}, postprocess ${model.postprocess}`);
    }
    for (const member of model.members) {
      const weight = model.members.length > 1 ? ` weight ${Number(member.weight.toFixed(4))}` : '';
      lines.push(`       ${member.file}${weight}: input ${member.input} → output ${member.output}`);
    }
    for (const error of model.errors) lines.push(`       error: ${formatIssue(error)}`);
    for (const note of model.notes) lines.push(`       note: ${note}`);
  }
  const failed = report.models.filter((m) => !m.ok);
  lines.push(
    report.models.length === 0
      ? `no models in ${report.modelsDir}`
      : `${report.models.length - failed.length} of ${report.models.length} models ok${failed.length > 0 ? `; failed: ${failed.map((m) => m.name).join(', ')}` : ''}`,
  );
  return lines.join('\n');
}

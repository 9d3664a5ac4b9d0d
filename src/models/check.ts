/**
 * `numerai-autopilot check`: the models folder validated without submitting anything — every model's manifest,
 * ONNX files and signatures, and, when the dataset's features.json is at hand, its feature set or names and the
 * width of every input.
 */
import { formatIssue, type ModelConfigIssue } from './errors.js';
import { resolveFeatures, type FeatureSetsDocument } from './features.js';
import { loadModels, type LoadedModel, type LoadOptions } from './load.js';
import { chooseEngine, readMember } from './members.js';
import { describeShape } from './signature-check.js';

export interface MemberSummary {
  file: string;
  /** Normalised weight (1 for a single file). */
  weight: number;
  /** e.g. `float_input float32 [N, 780]`. */
  input: string;
  /** e.g. `probabilities[1]`. */
  output: string;
  /** Which engine runs it in a run ("trees": this project's tree kernel). */
  engine: 'trees' | 'onnxruntime';
  /** Why the tree kernel does not run it; null when it does. */
  engineReason: string | null;
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
  const models: ModelCheck[] = [];
  for (const result of results) {
    if (!result.ok) {
      models.push({
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
      });
      continue;
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
      members: await summariseMembers(model),
      errors: [],
      notes: [],
    };
    models.push(check);
    const featuresJson = featuresByDataset.get(model.dataset);
    if (!featuresJson) {
      check.notes.push(`feature names not checked: no ${model.dataset}/features.json at hand`);
      continue;
    }
    const resolved = resolveFeatures(model, featuresJson);
    if (resolved.ok) {
      check.featureCount = resolved.features.length;
    } else {
      check.ok = false;
      check.errors = resolved.errors;
    }
  }
  return { modelsDir, ok: models.every((m) => m.ok || !m.enabled), models };
}

async function summariseMembers(model: LoadedModel): Promise<MemberSummary[]> {
  const members: MemberSummary[] = [];
  for (const m of model.members) {
    // The file was read moments ago by loadModels; the choice is the one a run makes.
    const decision = chooseEngine(model, m, await readMember(model, m));
    members.push({
      file: m.file,
      weight: m.weight,
      input: `${m.plan.inputName} ${m.plan.inputType} ${describeShape([m.plan.fixedBatch, m.plan.width])}`,
      output: m.plan.output.column === null ? m.plan.output.name : `${m.plan.output.name}[${m.plan.output.column}]`,
      engine: decision.engine,
      engineReason: decision.engine === 'onnxruntime' ? decision.reason : null,
    });
  }
  return members;
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
      lines.push(`         runs in ${member.engine === 'trees' ? 'the tree kernel' : `onnxruntime (${member.engineReason})`}`);
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

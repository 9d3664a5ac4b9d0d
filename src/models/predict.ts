/**
 * A loaded model's predictions on a feature table: every ONNX member run, an ensemble rank-averaged, the result
 * post-processed (rank into (0, 1) by default). Open members (onnxruntime sessions, compiled trees) live only as
 * long as they are needed.
 */
import { columnIndexes, type FeatureTable } from '../data/table.js';
import { ModelError } from './errors.js';
import type { RunOptions } from './inference.js';
import type { LoadedMember, LoadedModel } from './load.js';
import { openMember, type OpenMember } from './members.js';
import type { SessionOptions } from './onnx-session.js';
import { postprocess, rankAverage } from './postprocess.js';

export interface PredictOptions {
  /** Rows per onnxruntime call; smaller bounds memory, larger saves per-call overhead. */
  batchRows?: number;
  /** Threads for a model (onnxruntime's intra-op threads, or the tree kernel's); default every core. */
  threads?: number;
}

/** A model with its members open (onnxruntime sessions or compiled trees): predict as often as needed, then release. */
export class OpenModel {
  private released = false;

  private constructor(
    readonly model: LoadedModel,
    private readonly members: OpenMember[],
  ) {}

  /** Which engine runs each member, in model.yml's order. */
  get engines(): OpenMember['engine'][] {
    return this.members.map((member) => member.engine);
  }

  static async open(model: LoadedModel, options: SessionOptions = {}): Promise<OpenModel> {
    const members: OpenMember[] = [];
    try {
      for (const member of model.members) members.push(await openMember(model, member, options));
    } catch (error) {
      await Promise.all(members.map((m) => m.release()));
      throw error;
    }
    return new OpenModel(model, members);
  }

  /** Each member's raw predictions (the chosen output column), in row order. */
  async predictMembers(table: FeatureTable, features: readonly string[], options: PredictOptions = {}): Promise<Float64Array[]> {
    if (this.released) throw new ModelError(this.model.name, this.model.manifestPath, 'the model was already released');
    const runOptions: RunOptions = { batchRows: options.batchRows, fillMissing: this.model.fillMissing };
    const outputs: Float64Array[] = [];
    for (const [i, member] of this.model.members.entries()) {
      const raw = await this.members[i].run(table, features, { model: this.model.name, file: member.file }, runOptions);
      checkFinite(this.model, member, raw, table, features);
      outputs.push(raw);
    }
    return outputs;
  }

  /** The submission values: one per table row, post-processed. */
  async predict(table: FeatureTable, features: readonly string[], options: PredictOptions = {}): Promise<Float64Array> {
    const outputs = await this.predictMembers(table, features, options);
    const combined = this.model.ensemble
      ? rankAverage(outputs.map((values, i) => ({ values, weight: this.model.members[i].weight })))
      : outputs[0];
    return postprocess(combined, this.model.postprocess);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.all(this.members.map((m) => m.release()));
  }
}

export function openModel(model: LoadedModel, options: SessionOptions = {}): Promise<OpenModel> {
  return OpenModel.open(model, options);
}

/** Opens the model's members, predicts every row of `table` and releases them. */
export async function predict(
  model: LoadedModel,
  table: FeatureTable,
  features: readonly string[],
  options: PredictOptions = {},
): Promise<Float64Array> {
  const open = await OpenModel.open(model, { threads: options.threads });
  try {
    return await open.predict(table, features, options);
  } finally {
    await open.release();
  }
}

/** NaN cannot be ranked or submitted: name the first row and, when the input had gaps, the likely cause. */
function checkFinite(model: LoadedModel, member: LoadedMember, raw: Float64Array, table: FeatureTable, features: readonly string[]): void {
  let count = 0;
  let first = -1;
  for (let i = 0; i < raw.length; i++) {
    if (Number.isNaN(raw[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0) return;
  const hint =
    model.fillMissing === null && rowHasMissing(table, features, first)
      ? '; that row has missing feature values, which this model does not handle: set fill_missing in model.yml (e.g. fill_missing: 2)'
      : '';
  throw new ModelError(
    model.name,
    member.file,
    `predicted NaN for ${count} of ${raw.length} rows (first: ${table.ids[first] ?? `row ${first}`})${hint}`,
  );
}

/** Called once the member has run, so every feature is a column of the table. */
function rowHasMissing(table: FeatureTable, features: readonly string[], row: number): boolean {
  const base = row * table.columns.length;
  return columnIndexes(table, features).some((j) => Number.isNaN(table.values[base + j]));
}

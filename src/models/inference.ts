/**
 * Running one ONNX model over a feature table: rows go in batches (so memory stays bounded however large the
 * file), each batch in the element type the model declares, and the chosen output column comes back as one
 * Float64Array of raw predictions in row order.
 */
import { Tensor } from 'onnxruntime-node';
import { DEFAULT_BATCH_ROWS, modelBatches, type FeatureTable } from '../data/table.js';
import { ModelError } from './errors.js';
import type { InferenceSession } from './onnx-session.js';
import type { MemberPlan } from './signature-check.js';

export interface RunOptions {
  /** Rows per session.run call (default: defaultBatchRows of the width; a model's fixed batch always wins). */
  batchRows?: number;
  /** Fed in place of missing (NaN) feature values; null passes NaN through (trees route it). */
  fillMissing?: number | null;
}

/** The model and file a run belongs to, for error messages. */
export interface RunContext {
  model: string;
  file: string;
}

type InputArray = Float32Array | Float64Array | Int8Array;

/**
 * Runs `session` over every row of `table`, feeding `features` (in that order) and returning the raw prediction
 * of each row.
 */
export async function runMember(
  session: InferenceSession,
  plan: MemberPlan,
  table: FeatureTable,
  features: readonly string[],
  context: RunContext,
  options: RunOptions = {},
): Promise<Float64Array> {
  const width = features.length;
  if (plan.width !== null && plan.width !== width) {
    throw new ModelError(context.model, context.file, `model input "${plan.inputName}" takes ${plan.width} features per row, but ${width} were given`);
  }
  const rows = table.rows;
  const result = new Float64Array(rows);
  if (rows === 0) return result;

  const fixedBatch = plan.fixedBatch;
  const batchRows = fixedBatch ?? balancedBatchRows(rows, options.batchRows ?? defaultBatchRows(width));
  const fill = options.fillMissing ?? null;
  // float32 without a fill value feeds the table's batches as they are (views or the data module's reused buffer).
  const needsCopy = plan.inputType !== 'float32' || fill !== null || fixedBatch !== null;
  let buffer: InputArray | null = null;

  for (const batch of modelBatches(table, features, batchRows)) {
    const n = batch.rowEnd - batch.rowStart;
    const feedRows = fixedBatch ?? n;
    let input: InputArray = batch.values;
    if (needsCopy) {
      buffer ??= allocate(plan.inputType, feedRows * width);
      input = buffer.subarray(0, feedRows * width);
      convertBatch(batch.values, input, fill, plan, features, table, batch.rowStart, context);
      // A fixed-size input gets a padded last batch; the padding rows' outputs are dropped.
      if (n < feedRows) input.fill(0, n * width);
    }
    const tensor = new Tensor(plan.inputType, input, [feedRows, width]);
    let outputs;
    try {
      outputs = await session.run({ [plan.inputName]: tensor }, [plan.output.name]);
    } catch (error) {
      throw new ModelError(context.model, context.file, `onnxruntime failed on rows ${batch.rowStart}–${batch.rowEnd - 1}: ${errorText(error)}`, {
        cause: error,
      });
    }
    readOutput(outputs[plan.output.name], plan, feedRows, n, result, batch.rowStart, context);
  }
  return result;
}

/** Memory for one batch of input values: small beside the live table, large enough that few calls are made. */
export const BATCH_BYTES = 32 * 1024 * 1024;

/**
 * Default rows per onnxruntime call: as many as fit in BATCH_BYTES of float32 (3,052 rows of 2,748 features; the
 * whole live file for a 42-feature model), and never fewer than the data module's default batch.
 */
export function defaultBatchRows(width: number): number {
  return Math.max(DEFAULT_BATCH_ROWS, Math.floor(BATCH_BYTES / (4 * Math.max(1, width))));
}

/**
 * Rows per batch for at most `batchRows` per batch, spread evenly (1,025 rows in batches of 1,024 → 513 + 512, not
 * 1,024 + 1). Besides sparing a tiny last call, this keeps tree ensembles deterministic: onnxruntime sums the trees
 * of a small batch (≤ 50 rows) in parallel chunks, in another order than a large batch, which changes the last bits
 * of a float32 sum. With even batches, every batch of a large table takes the same path as one batch would.
 */
export function balancedBatchRows(rows: number, batchRows: number): number {
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
  if (rows <= batchRows) return Math.max(1, rows);
  return Math.ceil(rows / Math.ceil(rows / batchRows));
}

function allocate(type: MemberPlan['inputType'], size: number): InputArray {
  switch (type) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int8':
      return new Int8Array(size);
  }
}

function convertBatch(
  source: Float32Array,
  target: InputArray,
  fill: number | null,
  plan: MemberPlan,
  features: readonly string[],
  table: FeatureTable,
  rowStart: number,
  context: RunContext,
): void {
  if (plan.inputType !== 'int8') {
    for (let i = 0; i < source.length; i++) {
      const v = source[i];
      target[i] = v !== v && fill !== null ? fill : v;
    }
    return;
  }
  // int8 holds neither NaN nor fractions: refuse rather than feed garbage (e.g. a 0–1 float file to a model
  // trained on 0–4 integers).
  const width = features.length;
  for (let i = 0; i < source.length; i++) {
    let v = source[i];
    if (v !== v) {
      if (fill === null) {
        const where = describeCell(features, table, rowStart, i, width);
        throw new ModelError(
          context.model,
          context.file,
          `model input "${plan.inputName}" is int8, which cannot hold a missing value (${where}); set fill_missing in model.yml, e.g. fill_missing: 2`,
        );
      }
      v = fill;
    }
    if (!Number.isInteger(v) || v < -128 || v > 127) {
      const where = describeCell(features, table, rowStart, i, width);
      throw new ModelError(
        context.model,
        context.file,
        `model input "${plan.inputName}" is int8, but ${where} is ${v}; the features are not on the integer scale the model was trained on`,
      );
    }
    target[i] = v;
  }
}

function describeCell(features: readonly string[], table: FeatureTable, rowStart: number, offset: number, width: number): string {
  const row = rowStart + Math.floor(offset / width);
  return `feature ${features[offset % width]} of row ${table.ids[row] ?? row}`;
}

function readOutput(
  tensor: Tensor | undefined,
  plan: MemberPlan,
  feedRows: number,
  rows: number,
  result: Float64Array,
  rowStart: number,
  context: RunContext,
): void {
  const name = plan.output.name;
  if (!tensor) throw new ModelError(context.model, context.file, `onnxruntime returned no output "${name}"`);
  const data = tensor.data;
  if (!ArrayBuffer.isView(data)) {
    throw new ModelError(context.model, context.file, `output "${name}" is not numeric (${tensor.type})`);
  }
  const dims = tensor.dims;
  if (dims[0] !== feedRows || data.length % feedRows !== 0) {
    throw new ModelError(
      context.model,
      context.file,
      `output "${name}" has shape [${dims.join(', ')}] for ${feedRows} input rows; expected one prediction per row`,
    );
  }
  const columns = data.length / feedRows;
  let column = plan.output.column;
  if (column === null) {
    if (columns !== 1) {
      throw new ModelError(
        context.model,
        context.file,
        `output "${name}" has ${columns} values per row (shape [${dims.join(', ')}]); choose a column with output: ${name}[k]`,
      );
    }
    column = 0;
  } else if (column >= columns) {
    throw new ModelError(context.model, context.file, `output "${name}" has ${columns} columns; column ${column} does not exist`);
  }
  // int64/uint64 outputs (class labels) arrive as BigInt64Array/BigUint64Array.
  const values = data as ArrayLike<number | bigint>;
  for (let r = 0; r < rows; r++) result[rowStart + r] = Number(values[r * columns + column]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Running one ONNX model over a feature table: rows go in batches (so memory stays bounded however large the
 * file), each batch in the element type the model declares, and the chosen output column comes back as one
 * Float64Array of raw predictions in row order.
 */
import { Tensor } from 'onnxruntime-node';
import { DEFAULT_BATCH_ROWS, columnIndexes, modelBatches, type FeatureTable } from '../data/table.js';
import { ModelError } from './errors.js';
import type { InferenceSession } from './onnx-session.js';
import type { MemberPlan } from './signature-check.js';
import { messageOf } from '../data/errors.js';

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
  checkInputWidth(plan, width, context);
  const rows = table.rows;
  const result = new Float64Array(rows);
  if (rows === 0) return result;

  const fixedBatch = plan.fixedBatch;
  const batchRows = fixedBatch ?? balancedBatchRows(rows, options.batchRows ?? defaultBatchRows(width));
  const fill = options.fillMissing ?? null;
  // float32 without a fill value feeds the table's batches as they are (views, or the data module's reused
  // buffer); any conversion gathers straight from the table into one buffer of the model's type.
  const needsConversion = plan.inputType !== 'float32' || fill !== null || fixedBatch !== null;
  const batches = needsConversion
    ? convertedBatches(table, features, batchRows, fixedBatch ?? batchRows, fill, plan, context)
    : modelBatches(table, features, batchRows);

  const feeder = new SharedMemoryFeeder();
  for (const batch of batches) {
    const n = batch.rowEnd - batch.rowStart;
    const feedRows = fixedBatch ?? n;
    const run = (input: InputArray) => session.run({ [plan.inputName]: new Tensor(plan.inputType, input, [feedRows, width]) }, [plan.output.name]);
    let outputs;
    try {
      outputs = await feeder.run(batch.values, run);
    } catch (error) {
      throw new ModelError(context.model, context.file, `onnxruntime failed on rows ${batch.rowStart}–${batch.rowEnd - 1}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    readOutput(outputs[plan.output.name], plan, feedRows, n, result, batch.rowStart, context);
  }
  return result;
}

/** Refuses a feature list of another width than the model's input declares (whichever engine runs the model). */
export function checkInputWidth(plan: MemberPlan, width: number, context: RunContext): void {
  if (plan.width !== null && plan.width !== width) {
    throw new ModelError(context.model, context.file, `model input "${plan.inputName}" takes ${plan.width} features per row, but ${width} were given`);
  }
}

/**
 * Whether this process's onnxruntime-node takes a typed array over shared memory, as a parallel read's table is
 * (src/data/parquet-parallel.ts). Node-API hands one to addons on the Node 24 the action runs on; on Node 20, which
 * the CLI also runs on, onnxruntime refuses it with "Invalid argument". Node-API's support for shared memory grew over
 * several releases and nothing tells a program which it has, so the first shared batch tells. Undefined until then.
 */
let sharedMemoryAccepted: boolean | undefined;

/**
 * Feeds batches that may be views of shared memory: as they are where that works, else as a private copy. One per
 * runMember call, so every batch it copies has the model's one input type.
 */
class SharedMemoryFeeder {
  private copy: InputArray | undefined;

  async run<T>(values: InputArray, run: (input: InputArray) => Promise<T>): Promise<T> {
    if (!(values.buffer instanceof SharedArrayBuffer) || sharedMemoryAccepted) return run(values);
    if (sharedMemoryAccepted === false) return run(this.ownCopy(values));
    try {
      const outputs = await run(values);
      sharedMemoryAccepted = true;
      return outputs;
    } catch {
      // Refused, or failed for a reason of its own: a private copy tells which, and fails with the model's own error.
      const outputs = await run(this.ownCopy(values));
      sharedMemoryAccepted = false;
      return outputs;
    }
  }

  /** `values` copied into memory of this thread's own, reused from batch to batch. */
  private ownCopy(values: InputArray): InputArray {
    if (!this.copy || this.copy.length < values.length) {
      this.copy = new (values.constructor as new (length: number) => InputArray)(values.length);
    }
    const copy = this.copy.subarray(0, values.length);
    copy.set(values as never);
    return copy;
  }
}

/** Memory for one batch of input values: small beside the live table, large enough that few calls are made. */
export const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Default rows per onnxruntime call: as many as fit in BATCH_BYTES of float32 (1,526 rows of 2,748 features; the
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

/**
 * Batches in the model's input type, gathered from the table in one pass: missing values replaced by `fill`, int8
 * values checked (int8 holds neither NaN nor fractions: refuse rather than feed a model trained on 0–4 integers
 * the 0–1 floats of another file). A fixed-size input gets its last batch padded with zero rows, whose outputs
 * are dropped.
 */
function* convertedBatches(
  table: FeatureTable,
  features: readonly string[],
  batchRows: number,
  feedRows: number,
  fill: number | null,
  plan: MemberPlan,
  context: RunContext,
): Generator<{ rowStart: number; rowEnd: number; values: InputArray }> {
  const indexes = columnIndexes(table, features);
  const width = indexes.length;
  const tableWidth = table.columns.length;
  const values = table.values;
  const buffer = allocate(plan.inputType, feedRows * width);
  const int8 = plan.inputType === 'int8';
  for (let rowStart = 0; rowStart < table.rows; rowStart += batchRows) {
    const rowEnd = Math.min(table.rows, rowStart + batchRows);
    let o = 0;
    for (let r = rowStart; r < rowEnd; r++) {
      const base = r * tableWidth;
      for (let k = 0; k < width; k++) {
        let v = values[base + indexes[k]];
        if (v !== v && fill !== null) v = fill;
        if (int8 && !(Number.isInteger(v) && v >= -128 && v <= 127)) throw int8Error(v, features[k], table, r, plan, context, fill);
        buffer[o++] = v;
      }
    }
    const fed = plan.fixedBatch ?? rowEnd - rowStart;
    if (o < fed * width) buffer.fill(0, o, fed * width);
    yield { rowStart, rowEnd, values: buffer.subarray(0, fed * width) };
  }
}

function int8Error(value: number, feature: string, table: FeatureTable, row: number, plan: MemberPlan, context: RunContext, fill: number | null): ModelError {
  const where = `feature ${feature} of row ${table.ids[row] ?? row}`;
  if (value !== value && fill === null) {
    return new ModelError(
      context.model,
      context.file,
      `model input "${plan.inputName}" is int8, which cannot hold a missing value (${where}); set fill_missing in model.yml, e.g. fill_missing: 2`,
    );
  }
  return new ModelError(
    context.model,
    context.file,
    `model input "${plan.inputName}" is int8, but ${where} is ${value}; the features are not on the integer scale the model was trained on`,
  );
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


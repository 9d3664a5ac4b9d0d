/**
 * onnxruntime-node behind two functions: open a session with the options this project measured to be fastest,
 * and read what a model takes and gives (its signature) without running it.
 */
import { availableParallelism } from 'node:os';
import { InferenceSession } from 'onnxruntime-node';

export type { InferenceSession };

// onnxruntime-node's Linux build starts a telemetry client with the first session: it leaves a `.ses` session file
// and an empty `mat-debug-<pid>.log` in the temp folder on every run, and may try to upload. ORT_DISABLE_TELEMETRY
// turns it off; it is read when the first session is created, so setting it here (before any session) is enough.
// A value the user set is kept.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

/** Input element types the engine can feed; Numerai features are integers 0–4 (or NaN), exact in all three. */
export const SUPPORTED_INPUT_TYPES = ['float32', 'float64', 'int8'] as const;
export type InputType = (typeof SUPPORTED_INPUT_TYPES)[number];

export function isSupportedInputType(type: string): type is InputType {
  return (SUPPORTED_INPUT_TYPES as readonly string[]).includes(type);
}

/** Output element types that can be read as numbers. */
const NUMERIC_TYPES = new Set(['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);
const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

export interface TensorInfo {
  name: string;
  isTensor: true;
  type: string;
  /** Each dimension: a number, or null when it is dynamic (a symbolic name or no value). */
  shape: (number | null)[] | null;
}

export interface NonTensorInfo {
  name: string;
  isTensor: false;
}

export type ValueInfo = TensorInfo | NonTensorInfo;

export interface OnnxSignature {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export function isNumericType(type: string): boolean {
  return NUMERIC_TYPES.has(type);
}

export function isFloatType(type: string): boolean {
  return FLOAT_TYPES.has(type);
}

/**
 * Opens a session. Intra-op threads = the machine's cores: on the 2-core runners this beat onnxruntime's default
 * (79 ms vs 102 ms for a 500-tree model on 6,720 rows); one inter-op thread, since these graphs are a chain.
 */
export interface SessionOptions {
  /** Intra-op threads; default (or 0): every core. */
  threads?: number;
}

export async function openSession(model: Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
  return InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads || availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
}

function normaliseShape(shape: ReadonlyArray<number | string>): (number | null)[] | null {
  // onnxruntime reports an unknown rank as an empty shape; a scalar output is not a usable prediction either way.
  if (shape.length === 0) return null;
  return shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : null));
}

function valueInfo(metadata: InferenceSession.ValueMetadata): ValueInfo {
  if (!metadata.isTensor) return { name: metadata.name, isTensor: false };
  return { name: metadata.name, isTensor: true, type: metadata.type, shape: normaliseShape(metadata.shape) };
}

export function readSignature(session: InferenceSession): OnnxSignature {
  return {
    inputs: session.inputMetadata.map(valueInfo),
    outputs: session.outputMetadata.map(valueInfo),
  };
}

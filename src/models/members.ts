/**
 * One ONNX file of a model, opened to predict: in onnxruntime, or, for a tree ensemble whose meaning is certain, in
 * this project's tree kernel (tree-ensemble.ts says which and why). Both give each row's raw prediction.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { columnIndexes, type FeatureTable } from '../data/table.js';
import { messageOf } from '../data/errors.js';
import { ModelError } from './errors.js';
import { checkInputWidth, runMember, type RunContext, type RunOptions } from './inference.js';
import type { LoadedMember, LoadedModel } from './load.js';
import { openSession, type InferenceSession, type SessionOptions } from './onnx-session.js';
import type { MemberPlan } from './signature-check.js';
import { compileTreeEnsemble, type CompiledTrees } from './tree-ensemble.js';
import { runTrees } from './tree-threads.js';

export interface OpenMember {
  /** Which engine runs it: shown in figures and tests. */
  readonly engine: 'onnxruntime' | 'trees';
  run(table: FeatureTable, features: readonly string[], context: RunContext, options: RunOptions): Promise<Float64Array>;
  release(): Promise<void>;
}

class OnnxMember implements OpenMember {
  readonly engine = 'onnxruntime';

  constructor(
    private readonly session: InferenceSession,
    private readonly plan: MemberPlan,
  ) {}

  run(table: FeatureTable, features: readonly string[], context: RunContext, options: RunOptions): Promise<Float64Array> {
    return runMember(this.session, this.plan, table, features, context, options);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

class TreeMember implements OpenMember {
  readonly engine = 'trees';
  private readonly widthNeeded: number;

  constructor(
    private readonly trees: CompiledTrees,
    private readonly plan: MemberPlan,
    private readonly threads: number,
  ) {
    this.widthNeeded = trees.slotColumns.reduce((most, column) => Math.max(most, column + 1), 0);
  }

  async run(table: FeatureTable, features: readonly string[], context: RunContext, options: RunOptions): Promise<Float64Array> {
    const width = features.length;
    checkInputWidth(this.plan, width, context);
    if (this.widthNeeded > width) {
      throw new ModelError(context.model, context.file, `its trees split on input column ${this.widthNeeded - 1}, but only ${width} features were given`);
    }
    let out: Float32Array;
    try {
      out = await runTrees(this.trees, table, columnIndexes(table, features), options.fillMissing ?? null, this.threads);
    } catch (error) {
      throw new ModelError(context.model, context.file, `the tree evaluation failed: ${messageOf(error)}`, { cause: error });
    }
    return Float64Array.from(out);
  }

  async release(): Promise<void> {}
}

/** Opens `member`: compiled for the tree kernel when it can be, else as an onnxruntime session. */
export async function openMember(model: LoadedModel, member: LoadedMember, options: SessionOptions): Promise<OpenMember> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(member.path);
  } catch (error) {
    throw new ModelError(model.name, member.file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  const plan = member.plan;
  // The kernel compares float32 values, as onnxruntime does for a float32 input; other inputs go to onnxruntime.
  if (plan.inputType === 'float32' && plan.fixedBatch === null && (plan.output.column ?? 0) === 0) {
    const compiled = compileTreeEnsemble(bytes, plan.inputName, plan.output.name);
    if (compiled.ok) return new TreeMember(compiled.trees, plan, options.threads || availableParallelism());
  }
  try {
    return new OnnxMember(await openSession(bytes, options), plan);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ModelError(model.name, member.file, `onnxruntime cannot load it: ${reason}`, { cause: error });
  }
}

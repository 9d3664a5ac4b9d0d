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

export class TreeMember implements OpenMember {
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

/** The engine chosen for a member; for onnxruntime, why the tree kernel does not take it. */
export type EngineDecision = { engine: 'trees'; trees: CompiledTrees } | { engine: 'onnxruntime'; reason: string };

/** Which engine runs `member` (the ONNX file's `bytes`): the tree kernel when model.yml allows it and it can. */
export function chooseEngine(model: Pick<LoadedModel, 'engine'>, member: Pick<LoadedMember, 'plan'>, bytes: Uint8Array): EngineDecision {
  const plan = member.plan;
  const onnxruntime = (reason: string): EngineDecision => ({ engine: 'onnxruntime', reason });
  if (model.engine === 'onnxruntime') return onnxruntime('model.yml sets engine: onnxruntime');
  // The kernel compares float32 values, as onnxruntime does for a float32 input; other inputs go to onnxruntime.
  if (plan.inputType !== 'float32') return onnxruntime(`its input is ${plan.inputType}, and the tree kernel takes float32`);
  if (plan.fixedBatch !== null) return onnxruntime(`its input takes a fixed batch of ${plan.fixedBatch} rows`);
  if ((plan.output.column ?? 0) !== 0) return onnxruntime(`the prediction is column ${plan.output.column} of its output`);
  const compiled = compileTreeEnsemble(bytes, plan.inputName, plan.output.name);
  return compiled.ok ? { engine: 'trees', trees: compiled.trees } : onnxruntime(compiled.reason);
}

/** Reads the ONNX file of `member`, naming it when it cannot be read. */
export async function readMember(model: Pick<LoadedModel, 'name'>, member: Pick<LoadedMember, 'file' | 'path'>): Promise<Uint8Array> {
  try {
    return await readFile(member.path);
  } catch (error) {
    throw new ModelError(model.name, member.file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
}

/** Opens `member`: compiled for the tree kernel when chooseEngine says so, else as an onnxruntime session. */
export async function openMember(model: LoadedModel, member: LoadedMember, options: SessionOptions): Promise<OpenMember> {
  const bytes = await readMember(model, member);
  const decision = chooseEngine(model, member, bytes);
  if (decision.engine === 'trees') return new TreeMember(decision.trees, member.plan, options.threads || availableParallelism());
  try {
    return new OnnxMember(await openSession(bytes, options), member.plan);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ModelError(model.name, member.file, `onnxruntime cannot load it: ${reason}`, { cause: error });
  }
}

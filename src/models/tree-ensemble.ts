/**
 * A tree ensemble read from an ONNX file and laid out for tree-kernel.ts, which evaluates it in place of
 * onnxruntime.
 *
 * Why: onnxruntime's TreeEnsemble kernel walks each row through each tree with a branch per node. On Numerai's
 * example shape (2,000 trees of depth 5 over 2,748 features) that took 1.3–1.65× the time of XGBoost's own predict
 * (docs/benchmarks.md); the branches follow the data, and on Numerai's features they are mispredicted most of the
 * time. Laid out as complete binary trees, a node's children need no pointer (2h + 1, 2h + 2) and the walk needs no
 * branch, so its speed does not depend on the data.
 *
 * Only graphs whose meaning is certain are taken: one ai.onnx.ml TreeEnsembleRegressor node from the model's input to
 * its output, one target, no post-transform, the sum of the trees plus at most one base value, BRANCH_LT or
 * BRANCH_LEQ splits, one weight per leaf. And only where the kernel is the better engine: trees that fill out to
 * complete ones with at most MAX_PADDING times their leaves, walked not much deeper than their leaves sit
 * (MAX_WALK_RATIO): depth-limited and deep depth-wise XGBoost trees are; leaf-wise trees with no depth limit usually
 * are not. Anything else answers with the reason and runs in onnxruntime as before.
 *
 * The result is onnxruntime's to the bit (test/models/tree-ensemble.test.ts): the same float32 comparisons, NaN
 * routed as onnxruntime routes it, and each row's float32 sum taken over the trees in onnxruntime's order (as
 * onnxruntime sums them on one thread; on several it adds partial sums, which differs in the last bits).
 */
import { message, pushFloats, pushVarints, readFields, readMessage, text, type FieldValue } from './protobuf.js';

/** Rows evaluated together: their values of one feature are contiguous in the kernel's scratch block. */
export const BLOCK_ROWS = 64;

/**
 * Filling the trees out to complete ones may multiply their leaves by at most this: 12 bytes a filled-out leaf against
 * the 400 or so onnxruntime holds per node of the file, so the kernel always holds less.
 */
const MAX_PADDING = 16;
/**
 * The kernel walks every row to the bottom of each tree, onnxruntime only to the leaf it reaches: with trees whose
 * leaves sit far above their depth the kernel does more work. Measured on 2,000-tree models over Numerai-shaped
 * rows, the kernel against onnxruntime took 0.66× of its time where the walk was 1.01× the mean leaf depth
 * (depth-limited XGBoost), 0.74× at 1.15× (deep depth-wise trees) and 1.15× at 1.57× (leaf-wise, 31 leaves).
 */
const MAX_WALK_RATIO = 1.3;
/** Deeper trees would not be filled out within MAX_PADDING anyway, and 2^depth stays an int32. */
const MAX_DEPTH = 24;

export interface CompiledTrees {
  /**
   * Two int32 per node, tree after tree, each tree in heap order (the children of h are 2h + 1 and 2h + 2): the
   * offset of the node's feature slot in the scratch block (slot × BLOCK_ROWS), and the bits of its float32
   * threshold. A node goes to 2h + 1 when the value is below the threshold, else to 2h + 2.
   */
  nodes: Int32Array;
  /** Leaf values, tree after tree, 2^depth per tree, as float32 (what onnxruntime adds). */
  leaves: Float32Array;
  /** Three int32 per tree: its first node's index in `nodes` (× 2), its first leaf's index in `leaves`, its depth. */
  trees: Int32Array;
  /** The model input column each scratch slot holds. A column appears twice when its nodes route NaN both ways. */
  slotColumns: Int32Array;
  /** Per slot, 1 where NaN is held as −∞ (its nodes send NaN below the threshold), 0 where it stays NaN. */
  slotNanBelow: Uint8Array;
  /**
   * The trees come in chunks, one per TreeEnsembleRegressor of the file (usually one): a chunk's trees are summed in
   * float32 and its base value added, and the chunks' results are added in double (see findEnsembles). `chunkEnds`
   * holds the tree number each chunk ends at, `chunkBases` its base value (base_values[0], or 0).
   */
  chunkEnds: Int32Array;
  chunkBases: Float32Array;
  treeCount: number;
}

export type TreeCompilation = { ok: true; trees: CompiledTrees } | { ok: false; reason: string };

interface Attribute {
  ints: ArrayLike<number>;
  floats: ArrayLike<number>;
  /** The attribute's strings, each as its index in `strings`, which lists each distinct string once. */
  stringCodes: ArrayLike<number>;
  strings: string[];
  i?: number;
  s?: string;
  /** Set when the attribute holds a tensor or graph, which no attribute read here may. */
  other: boolean;
}

interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Each attribute's name and undecoded AttributeProto, decoded when compile asks for it (see attributeName). */
  attributes: Map<string, Uint8Array>;
}

/** A reason to leave the model to onnxruntime, found while reading it. */
class Declined extends Error {}

type Numbers = Int32Array | Float64Array | Float32Array | Uint8Array;

/**
 * A growing list of numbers in a typed array; `view()` is what it holds. Its array is made at the first push, with
 * room for `room` values: the most an attribute of that many bytes can hold, one per node, so that it is not copied
 * as it grows. A list of int32 values becomes a Float64Array (exact up to 2^53) at its first value beyond int32.
 */
class NumberList {
  private values: Numbers | null = null;
  length = 0;

  constructor(
    private make: (length: number) => Numbers,
    private readonly room: number,
  ) {}

  push(value: number): void {
    let values = this.values ?? (this.values = this.make(Math.max(16, this.room)));
    const widen = this.make === int32s && (value | 0) !== value;
    const full = this.length === values.length;
    if (widen || full) {
      if (widen) this.make = float64s;
      const grown = this.make(full ? 2 * values.length : values.length);
      grown.set(values);
      this.values = values = grown;
    }
    values[this.length++] = value;
  }

  view(): ArrayLike<number> {
    return this.values ? this.values.subarray(0, this.length) : [];
  }
}

const int32s = (length: number) => new Int32Array(length);
const float64s = (length: number) => new Float64Array(length);
// Floats are float32 on the wire.
const float32s = (length: number) => new Float32Array(length);
const bytesOf = (length: number) => new Uint8Array(length);

/**
 * An attribute's repeated strings as small numbers: nodes_modes repeats "LEAF" or "BRANCH_LT" for every node, and a
 * string per node was a third of the time to read the example shape and 8 bytes a node to hold.
 */
class StringCodes {
  readonly codes: NumberList;
  /** The distinct strings, in the order they first appear: code k is texts[k]. */
  readonly texts: string[] = [];
  private readonly raw: Uint8Array[] = [];

  constructor(room: number) {
    this.codes = new NumberList(bytesOf, room);
  }

  /** Adds the string in bytes[start, end). */
  push(bytes: Uint8Array, start: number, end: number): void {
    let code = this.raw.findIndex((known) => sameBytes(known, bytes, start, end));
    if (code < 0) {
      if (this.raw.length === 256) throw new Declined('an attribute of its tree ensemble holds more than 256 different strings');
      code = this.raw.length;
      this.raw.push(bytes.slice(start, end));
      this.texts.push(text(bytes.subarray(start, end)));
    }
    this.codes.push(code);
  }
}

function sameBytes(known: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}

/** An attribute's values (its name is attributeName's). */
function readAttribute(bytes: Uint8Array): Attribute {
  let name = '';
  // An int takes at least two bytes (its key and itself) unless packed, a float four, a string three.
  const ints = new NumberList(int32s, bytes.length >> 1);
  const floats = new NumberList(float32s, bytes.length >> 2);
  const strings = new StringCodes(bytes.length / 3);
  const attribute: Attribute = { ints: [], floats: [], strings: [], stringCodes: [], other: false };
  readFields(bytes, (field, value, end) => {
    const isBytes = end >= 0;
    if (field === 1 && isBytes) {
      if (name !== '') throw new Declined(`an attribute is named twice (${name}, ${text(bytes.subarray(value, end))})`);
      name = text(bytes.subarray(value, end));
    }
    else if (field === 3 && !isBytes) attribute.i = value;
    else if (field === 4 && isBytes) attribute.s = text(bytes.subarray(value, end));
    else if (field === 5 || field === 6 || field === 10 || field === 11 || field === 22 || field === 23) attribute.other = true;
    else if (field === 7 || field === 8) {
      const list = field === 7 ? floats : ints;
      if (!isBytes) list.push(value);
      else (field === 7 ? pushFloats : pushVarints)(bytes.subarray(value, end), list);
    } else if (field === 9 && isBytes) strings.push(bytes, value, end);
  });
  attribute.ints = ints.view();
  attribute.floats = floats.view();
  attribute.strings = strings.texts;
  attribute.stringCodes = strings.codes.view();
  return attribute;
}

/**
 * An attribute's name, read without its values: serializers write the name (field 1) first, so this stops there.
 * Decoding every attribute up front cost a 94.5 MB ensemble of deep trees 1.6 s and 300 MB before it was found to be
 * unbalanced; compile decodes the attributes that decide that first, and all of them before it takes a model
 * (readAttribute refuses a second name).
 */
function attributeName(bytes: Uint8Array): string {
  let name = '';
  readFields(bytes, (field, value, end) => {
    if (field !== 1 || end < 0) return false;
    name = text(bytes.subarray(value, end));
    return true;
  });
  return name;
}

function readNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  readMessage(bytes, (field, value: FieldValue) => {
    if (field === 1) node.inputs.push(text(value));
    else if (field === 2) node.outputs.push(text(value));
    else if (field === 4) node.opType = text(value);
    else if (field === 7) node.domain = text(value);
    else if (field === 5) {
      const attribute = message(value);
      const name = attributeName(attribute);
      if (node.attributes.has(name)) throw new Declined(`its tree ensemble has two attributes ${name}`);
      node.attributes.set(name, attribute);
    }
  });
  return node;
}

/** The attributes TreeEnsembleRegressor (ai.onnx.ml 1 and 3) may carry; an unknown one means an unknown meaning. */
const KNOWN_ATTRIBUTES = new Set([
  'aggregate_function', 'base_values', 'base_values_as_tensor', 'n_targets', 'nodes_falsenodeids', 'nodes_featureids',
  'nodes_hitrates', 'nodes_hitrates_as_tensor', 'nodes_missing_value_tracks_true', 'nodes_modes', 'nodes_nodeids',
  'nodes_treeids', 'nodes_truenodeids', 'nodes_values', 'nodes_values_as_tensor', 'post_transform', 'target_ids',
  'target_nodeids', 'target_treeids', 'target_weights', 'target_weights_as_tensor',
]);

/** The smallest float32 above `value` (x ≤ t is x < nextUp(t) for every float32 x). */
function nextFloat32Up(value: number): number {
  if (value === 0) return 2 ** -149;
  float32[0] = value;
  float32Bits[0] += value > 0 ? 1 : -1;
  return float32[0];
}
const float32 = new Float32Array(1);
const float32Bits = new Int32Array(float32.buffer);

/**
 * Reads `bytes` (an ONNX model) and lays its trees out for the kernel, or says why it cannot: the model then runs in
 * onnxruntime. `inputName` and `outputName` are the ones the model's plan feeds and reads.
 */
export function compileTreeEnsemble(bytes: Uint8Array, inputName: string, outputName: string): TreeCompilation {
  try {
    return { ok: true, trees: compile(bytes, inputName, outputName) };
  } catch (error) {
    if (error instanceof Declined) return { ok: false, reason: error.message };
    return { ok: false, reason: `it could not be read as a tree ensemble (${error instanceof Error ? error.message : String(error)})` };
  }
}

function compile(bytes: Uint8Array, inputName: string, outputName: string): CompiledTrees {
  let graph: Uint8Array | undefined;
  readMessage(bytes, (field, value) => {
    if (field === 7) graph = message(value);
  });
  if (!graph) throw new Declined('it holds no graph');
  const nodes: OnnxNode[] = [];
  readMessage(graph, (field, value) => {
    if (field === 1) nodes.push(readNode(message(value)));
  });
  // The trees' shapes first: whether the kernel takes the model is decided by these alone, before the rest is decoded.
  const shapes = findEnsembles(nodes, inputName, outputName).map(readShape);
  const sum = (pick: (shape: EnsembleShape) => number) => shapes.reduce((total, shape) => total + pick(shape), 0);
  const paddedLeaves = sum((shape) => shape.paddedLeaves);
  const fileLeaves = sum((shape) => shape.fileLeaves);
  if (paddedLeaves > MAX_PADDING * fileLeaves) {
    throw new Declined(`its trees are too unbalanced to fill out (${paddedLeaves} leaves against ${fileLeaves})`);
  }
  const walked = sum((shape) => shape.walked);
  const meanLeafDepths = sum((shape) => shape.meanLeafDepths);
  if (walked > MAX_WALK_RATIO * meanLeafDepths) {
    const ratio = (walked / meanLeafDepths).toFixed(2);
    throw new Declined(`its leaves sit too far above its trees' depth for the tree kernel to be faster (it would walk ${ratio}× their mean depth)`);
  }
  return layOut(shapes.map(readSplitsAndLeaves));
}

function isOp(node: OnnxNode, domain: 'ai.onnx' | 'ai.onnx.ml', opType: string): boolean {
  return node.opType === opType && (node.domain === domain || (domain === 'ai.onnx' && node.domain === ''));
}

function describe(node: OnnxNode): string {
  return `${node.domain || 'ai.onnx'} ${node.opType}`;
}

const ONNX_FLOAT = 1;
const ONNX_DOUBLE = 11;

/**
 * The TreeEnsembleRegressor nodes whose sum is the model's output, in the order they are added. Two layouts are
 * taken, each optionally followed by Identity nodes (onnxmltools' LightGBM converter ends a regressor with one): one
 * ensemble; and several, each cast to double, summed and cast back to float, as that converter writes a model with
 * `split` ("sums big forests in chunks"). Every node of the graph must be part of the layout.
 */
function findEnsembles(nodes: OnnxNode[], inputName: string, outputName: string): OnnxNode[] {
  const producers = new Map<string, OnnxNode>();
  for (const node of nodes) {
    for (const output of node.outputs) {
      if (producers.has(output)) throw new Declined(`its graph computes ${output} twice`);
      producers.set(output, node);
    }
  }
  const used = new Set<OnnxNode>();
  /** The node computing `value`, past any Identity nodes. */
  const producer = (value: string): OnnxNode => {
    for (let node = producers.get(value); ; node = producers.get(node.inputs[0])) {
      if (!node) throw new Declined(`its graph does not compute ${value} from the input`);
      if (used.has(node)) throw new Declined(`its graph uses what ${describe(node)} computes twice`);
      used.add(node);
      if (!isOp(node, 'ai.onnx', 'Identity') || node.inputs.length !== 1) return node;
    }
  };
  const ensemble = (node: OnnxNode): OnnxNode => {
    if (!isOp(node, 'ai.onnx.ml', 'TreeEnsembleRegressor')) throw new Declined(`its output is computed by ${describe(node)}, not by a tree ensemble`);
    if (node.inputs.length !== 1 || node.inputs[0] !== inputName || node.outputs.length !== 1) {
      throw new Declined('its tree ensemble does not take the model input straight to the chosen output');
    }
    return node;
  };
  const last = producer(outputName);
  let ensembles: OnnxNode[];
  if (isOp(last, 'ai.onnx', 'Cast') && castTo(last) === ONNX_FLOAT && last.inputs.length === 1) {
    const total = producer(last.inputs[0]);
    if (!isOp(total, 'ai.onnx', 'Sum') || total.inputs.length === 0) {
      throw new Declined(`its output is computed by ${describe(total)}, not by a sum of tree ensembles`);
    }
    ensembles = total.inputs.map((value) => {
      const cast = producer(value);
      if (!isOp(cast, 'ai.onnx', 'Cast') || castTo(cast) !== ONNX_DOUBLE || cast.inputs.length !== 1) {
        throw new Declined(`its sum adds what ${describe(cast)} computes, not a tree ensemble cast to double`);
      }
      return ensemble(producer(cast.inputs[0]));
    });
  } else {
    ensembles = [ensemble(last)];
  }
  const others = nodes.length - used.size;
  if (others > 0) throw new Declined(`its graph has ${others} ${others === 1 ? 'node' : 'nodes'} besides its tree ensembles`);
  return ensembles;
}

/** The type a Cast node converts to, or −1 when it has other attributes than `to` (and `saturate`, for float8). */
function castTo(node: OnnxNode): number {
  for (const name of node.attributes.keys()) if (name !== 'to' && name !== 'saturate') return -1;
  const to = node.attributes.get('to');
  return to ? (readAttribute(to).i ?? -1) : -1;
}

/** One TreeEnsembleRegressor's attributes, decoded when first asked for (see attributeName). */
type Attributes = (name: string) => Attribute | undefined;

function attributesOf(node: OnnxNode): Attributes {
  const decoded = new Map<string, Attribute>();
  return (name) => {
    const bytes = node.attributes.get(name);
    if (!bytes) return undefined;
    let found = decoded.get(name);
    if (!found) {
      found = readAttribute(bytes);
      if (found.other) throw new Declined(`its tree ensemble gives ${name} as a tensor`);
      decoded.set(name, found);
    }
    return found;
  };
}

/** What readShape learns of one ensemble: enough to decide whether the kernel takes the model, and to lay it out. */
interface EnsembleShape {
  node: OnnxNode;
  attribute: Attributes;
  base: number;
  treeIds: ArrayLike<number>;
  count: number;
  /** Each tree's first node in the file, in onnxruntime's order, then `count`. */
  treeStarts: number[];
  /** Tree id → its number in that order. */
  treeIndex: Map<number, number>;
  /** The index of node `id` of tree number t, or −1. */
  find: (t: number, id: number) => number;
  /** Each split's children (−1 for a leaf). */
  yesAt: Int32Array;
  noAt: Int32Array;
  depths: Int32Array;
  /** Each node's mode, as its index among nodes_modes' distinct strings; LEQ is BRANCH_LEQ's (−1 when there is none). */
  modes: ArrayLike<number>;
  LEQ: number;
  paddedLeaves: number;
  fileLeaves: number;
  /** Σ over the trees of its depth, and of its leaves' mean depth. */
  walked: number;
  meanLeafDepths: number;
}

function readShape(node: OnnxNode): EnsembleShape {
  for (const name of node.attributes.keys()) {
    if (!KNOWN_ATTRIBUTES.has(name)) throw new Declined(`its tree ensemble has the attribute ${name}`);
    if (name.endsWith('_as_tensor')) throw new Declined(`its tree ensemble gives ${name} as a tensor`);
  }
  const attribute = attributesOf(node);
  const ints = (name: string) => attribute(name)?.ints ?? [];
  if ((attribute('n_targets')?.i ?? 1) !== 1) throw new Declined('its tree ensemble has more than one target');
  if ((attribute('post_transform')?.s ?? 'NONE') !== 'NONE') throw new Declined('its tree ensemble has a post-transform');
  if ((attribute('aggregate_function')?.s ?? 'SUM') !== 'SUM') throw new Declined('its tree ensemble does not sum its trees');
  const baseValues = attribute('base_values')?.floats ?? [];
  if (baseValues.length > 1) throw new Declined('its tree ensemble has several base values');

  const treeIds = ints('nodes_treeids');
  const count = treeIds.length;
  if (count === 0) throw new Declined('its tree ensemble has no nodes');
  const nodeIds = listed(count, 'nodes_nodeids', ints('nodes_nodeids'));
  const modeNames = attribute('nodes_modes')?.strings ?? [];
  const modes = listed(count, 'nodes_modes', attribute('nodes_modes')?.stringCodes ?? []);
  const [LEAF, LT, LEQ] = ['LEAF', 'BRANCH_LT', 'BRANCH_LEQ'].map((mode) => modeNames.indexOf(mode));
  const trueIds = listed(count, 'nodes_truenodeids', ints('nodes_truenodeids'));
  const falseIds = listed(count, 'nodes_falsenodeids', ints('nodes_falsenodeids'));

  // Trees in the order onnxruntime sums them: by first appearance, each tree's nodes together, its root first. Each
  // tree's node ids index a flat table (`where`): converters number a tree's nodes 0 to n − 1.
  const treeStarts: number[] = [];
  const treeIndex = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    if (i > 0 && treeIds[i] === treeIds[i - 1]) continue;
    if (treeIndex.has(treeIds[i])) throw new Declined("its trees' nodes are interleaved");
    treeIndex.set(treeIds[i], treeStarts.length);
    treeStarts.push(i);
  }
  const treeCount = treeStarts.length;
  treeStarts.push(count);
  const whereBase = new Int32Array(treeCount + 1);
  for (let t = 0; t < treeCount; t++) {
    let most = 0;
    for (let i = treeStarts[t]; i < treeStarts[t + 1]; i++) {
      if (!Number.isSafeInteger(nodeIds[i]) || nodeIds[i] < 0) throw new Declined(`a node of tree ${treeIds[i]} has the id ${nodeIds[i]}`);
      most = Math.max(most, nodeIds[i]);
    }
    whereBase[t + 1] = whereBase[t] + most + 1;
  }
  if (whereBase[treeCount] > 4 * count + 1024) throw new Declined('its node ids are far from 0 to n − 1 in each tree');
  const where = new Int32Array(whereBase[treeCount]).fill(-1);
  for (let t = 0; t < treeCount; t++) {
    for (let i = treeStarts[t]; i < treeStarts[t + 1]; i++) {
      const at = whereBase[t] + nodeIds[i];
      if (where[at] !== -1) throw new Declined(`node ${nodeIds[i]} of tree ${treeIds[i]} appears twice`);
      where[at] = i;
    }
  }
  const find = (t: number, id: number): number => (Number.isSafeInteger(id) && id >= 0 && id < whereBase[t + 1] - whereBase[t] ? where[whereBase[t] + id] : -1);

  // Each tree's depth and each split's children, checking that every split has two children of its own tree and that
  // it is a tree. The walk keeps (node, level) pairs on one stack, reused from tree to tree.
  const yesAt = new Int32Array(count).fill(-1);
  const noAt = new Int32Array(count).fill(-1);
  const depths = new Int32Array(treeCount);
  let stack = new Int32Array(64);
  const shape = { paddedLeaves: 0, fileLeaves: 0, walked: 0, meanLeafDepths: 0 };
  for (let t = 0; t < treeCount; t++) {
    const size = treeStarts[t + 1] - treeStarts[t];
    if (stack.length < 2 * size + 2) stack = new Int32Array(2 * size + 2);
    let depth = 0;
    let reached = 0;
    let leafCount = 0;
    let leafDepths = 0;
    let top = 0;
    stack[top++] = treeStarts[t];
    stack[top++] = 0;
    while (top > 0) {
      const d = stack[--top];
      const i = stack[--top];
      if (++reached > size) throw new Declined(`tree ${treeIds[i]} is not a tree (a node is reached twice)`);
      if (d > MAX_DEPTH) throw new Declined(`tree ${treeIds[i]} is deeper than ${MAX_DEPTH}`);
      const mode = modes[i];
      if (mode === LEAF) {
        depth = Math.max(depth, d);
        leafCount++;
        leafDepths += d;
        continue;
      }
      if (mode !== LT && mode !== LEQ) throw new Declined(`it has ${modeNames[mode]} splits`);
      const yes = find(t, trueIds[i]);
      const no = find(t, falseIds[i]);
      if (yes < 0 || no < 0) throw new Declined(`a split of tree ${treeIds[i]} points to a node the tree does not have`);
      yesAt[i] = yes;
      noAt[i] = no;
      stack[top++] = no;
      stack[top++] = d + 1;
      stack[top++] = yes;
      stack[top++] = d + 1;
    }
    if (reached !== size) throw new Declined(`tree ${treeIds[treeStarts[t]]} has nodes its root does not reach`);
    depths[t] = depth;
    shape.paddedLeaves += 2 ** depth;
    shape.fileLeaves += leafCount;
    shape.walked += depth;
    shape.meanLeafDepths += leafDepths / leafCount;
  }
  return { node, attribute, base: Math.fround(baseValues[0] ?? 0), treeIds, count, treeStarts, treeIndex, find, yesAt, noAt, depths, modes, LEQ, ...shape };
}

function listed<T extends ArrayLike<unknown>>(count: number, name: string, list: T): T {
  if (list.length !== count) throw new Declined(`its tree ensemble's ${name} has ${list.length} entries for ${count} nodes`);
  return list;
}

/** An ensemble once the kernel takes it: its shape, and what its splits compare and its leaves hold. */
interface EnsembleParts extends EnsembleShape {
  featureIds: ArrayLike<number>;
  values: ArrayLike<number>;
  missingTrue: ArrayLike<number>;
  leafWeight: Float32Array;
}

/**
 * Then every other attribute, which also checks that none names itself twice (attributeName read only the first
 * name; protobuf keeps the last, and so would onnxruntime): what the splits read and compare with, the weights.
 */
function readSplitsAndLeaves(shape: EnsembleShape): EnsembleParts {
  const { attribute, count, treeIds, yesAt, treeIndex, find } = shape;
  for (const name of shape.node.attributes.keys()) attribute(name);
  const ints = (name: string) => attribute(name)?.ints ?? [];
  const floats = (name: string) => attribute(name)?.floats ?? [];
  const featureIds = listed(count, 'nodes_featureids', ints('nodes_featureids'));
  const values = listed(count, 'nodes_values', floats('nodes_values'));
  const missingTrue = ints('nodes_missing_value_tracks_true');
  if (missingTrue.length !== 0 && missingTrue.length !== count) throw new Declined('its nodes_missing_value_tracks_true does not give one flag per node');
  for (let i = 0; i < count; i++) {
    if (yesAt[i] < 0) continue;
    if (!Number.isFinite(values[i])) throw new Declined(`a split of tree ${treeIds[i]} has the threshold ${values[i]}`);
    if (!Number.isSafeInteger(featureIds[i]) || featureIds[i] < 0) throw new Declined(`a split reads feature ${featureIds[i]}`);
  }
  const leafWeight = new Float32Array(count);
  const weighted = new Uint8Array(count);
  const targetTrees = ints('target_treeids');
  const targetNodes = ints('target_nodeids');
  const targetIds = ints('target_ids');
  const weights = floats('target_weights');
  if (targetNodes.length !== targetTrees.length || weights.length !== targetTrees.length || (targetIds.length !== 0 && targetIds.length !== targetTrees.length)) {
    throw new Declined("its tree ensemble's target_* lists differ in length");
  }
  for (let k = 0; k < targetTrees.length; k++) {
    if ((targetIds[k] ?? 0) !== 0) throw new Declined('a leaf weight is for another target than 0');
    const t = treeIndex.get(targetTrees[k]);
    const at = t === undefined ? -1 : find(t, targetNodes[k]);
    if (at < 0) throw new Declined(`a weight is for node ${targetNodes[k]} of tree ${targetTrees[k]}, which does not exist`);
    if (weighted[at]) throw new Declined('a leaf has more than one weight');
    weighted[at] = 1;
    leafWeight[at] = weights[k];
  }
  return { ...shape, featureIds, values, missingTrue, leafWeight };
}

/** The ensembles' trees, one after the other, filled out in the kernel's layout (CompiledTrees). */
function layOut(ensembles: EnsembleParts[]): CompiledTrees {
  // Scratch slots: one per (column, where NaN goes) pair that some split uses.
  const slotOf = new Map<number, number>();
  const slotColumns: number[] = [];
  const slotNanBelow: number[] = [];
  const slot = (column: number, nanBelow: boolean): number => {
    const key = column * 2 + (nanBelow ? 1 : 0);
    let s = slotOf.get(key);
    if (s === undefined) {
      s = slotColumns.length;
      slotOf.set(key, s);
      slotColumns.push(column);
      slotNanBelow.push(nanBelow ? 1 : 0);
    }
    return s;
  };

  const treeCount = ensembles.reduce((total, ensemble) => total + ensemble.depths.length, 0);
  const paddedLeaves = ensembles.reduce((total, ensemble) => total + ensemble.paddedLeaves, 0);
  const internal = paddedLeaves - treeCount;
  const nodeWords = new Int32Array(new SharedArrayBuffer(8 * Math.max(1, internal)));
  const thresholds = new Float32Array(nodeWords.buffer);
  const leaves = new Float32Array(new SharedArrayBuffer(4 * paddedLeaves));
  const trees = new Int32Array(new SharedArrayBuffer(12 * treeCount));
  const chunkEnds = new Int32Array(new SharedArrayBuffer(4 * ensembles.length));
  const chunkBases = new Float32Array(new SharedArrayBuffer(4 * ensembles.length));
  let stack = new Int32Array(64);
  let nodeStart = 0;
  let leafStart = 0;
  let tree = 0;
  for (const [c, ensemble] of ensembles.entries()) {
    const { depths, treeStarts, yesAt, noAt, modes, LEQ, featureIds, values, missingTrue, leafWeight } = ensemble;
    for (let t = 0; t < depths.length; t++, tree++) {
      const depth = depths[t];
      trees[3 * tree] = 2 * nodeStart;
      trees[3 * tree + 1] = leafStart;
      trees[3 * tree + 2] = depth;
      const firstLeaf = 2 ** depth - 1;
      // Fill heap position h (at level d) from file node i, with (i, h, d) triples on the stack; a leaf above the
      // last level fills its whole subtree, its splits sending every row to copies of the same value.
      const need = 3 * (depth + 2) * 2;
      if (stack.length < need) stack = new Int32Array(need);
      let top = 0;
      stack[top++] = treeStarts[t];
      stack[top++] = 0;
      stack[top++] = 0;
      while (top > 0) {
        const d = stack[--top];
        const h = stack[--top];
        const i = stack[--top];
        if (d === depth) {
          leaves[leafStart + h - firstLeaf] = leafWeight[i];
          continue;
        }
        const at = 2 * (nodeStart + h);
        const leaf = yesAt[i] < 0;
        if (leaf) {
          nodeWords[at] = 0;
          thresholds[at + 1] = 0;
        } else {
          // NaN fails every comparison: onnxruntime sends it to the false branch unless the node tracks missing
          // values to the true one. Held as −∞ it goes below any threshold, i.e. to the true branch.
          const nanBelow = missingTrue.length > 0 && missingTrue[i] === 1;
          nodeWords[at] = slot(featureIds[i], nanBelow) * BLOCK_ROWS;
          thresholds[at + 1] = modes[i] === LEQ ? nextFloat32Up(values[i]) : values[i];
        }
        stack[top++] = leaf ? i : noAt[i];
        stack[top++] = 2 * h + 2;
        stack[top++] = d + 1;
        stack[top++] = leaf ? i : yesAt[i];
        stack[top++] = 2 * h + 1;
        stack[top++] = d + 1;
      }
      nodeStart += firstLeaf;
      leafStart += 2 ** depth;
    }
    chunkEnds[c] = tree;
    chunkBases[c] = ensemble.base;
  }
  if (slotColumns.length * BLOCK_ROWS > 2 ** 31 - 1) throw new Declined('it reads too many features');
  return {
    nodes: nodeWords,
    leaves,
    trees,
    slotColumns: Int32Array.from(slotColumns),
    slotNanBelow: Uint8Array.from(slotNanBelow),
    chunkEnds,
    chunkBases,
    treeCount,
  };
}

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
  /** Added to each row's sum (base_values[0], or 0). */
  base: number;
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
  f?: number;
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
  const packed: number[] = [];
  readFields(bytes, (field, value, end) => {
    const isBytes = end >= 0;
    if (field === 1 && isBytes) {
      if (name !== '') throw new Declined(`an attribute is named twice (${name}, ${text(bytes.subarray(value, end))})`);
      name = text(bytes.subarray(value, end));
    }
    else if (field === 2 && !isBytes) attribute.f = value;
    else if (field === 3 && !isBytes) attribute.i = value;
    else if (field === 4 && isBytes) attribute.s = text(bytes.subarray(value, end));
    else if (field === 5 || field === 6 || field === 10 || field === 11 || field === 22 || field === 23) attribute.other = true;
    else if (field === 7 || field === 8) {
      const list = field === 7 ? floats : ints;
      if (!isBytes) list.push(value);
      else {
        packed.length = 0;
        (field === 7 ? pushFloats : pushVarints)(bytes.subarray(value, end), packed);
        for (const number of packed) list.push(number);
      }
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
    return compile(bytes, inputName, outputName);
  } catch (error) {
    if (error instanceof Declined) return unsupported(error.message);
    return { ok: false, reason: `it could not be read as a tree ensemble (${error instanceof Error ? error.message : String(error)})` };
  }
}

function unsupported(reason: string): TreeCompilation {
  return { ok: false, reason };
}

function compile(bytes: Uint8Array, inputName: string, outputName: string): TreeCompilation {
  let graph: Uint8Array | undefined;
  readMessage(bytes, (field, value) => {
    if (field === 7) graph = message(value);
  });
  if (!graph) return unsupported('it holds no graph');
  const nodes: OnnxNode[] = [];
  readMessage(graph, (field, value) => {
    if (field === 1) nodes.push(readNode(message(value)));
  });
  if (nodes.length !== 1) return unsupported(`its graph has ${nodes.length} nodes, not one tree ensemble`);
  const node = nodes[0];
  if (node.opType !== 'TreeEnsembleRegressor' || node.domain !== 'ai.onnx.ml') return unsupported(`its node is ${node.domain || 'ai.onnx'} ${node.opType}`);
  if (node.inputs.length !== 1 || node.inputs[0] !== inputName || node.outputs.length !== 1 || node.outputs[0] !== outputName) {
    return unsupported('its tree ensemble does not take the model input straight to the chosen output');
  }
  for (const name of node.attributes.keys()) {
    if (!KNOWN_ATTRIBUTES.has(name)) return unsupported(`its tree ensemble has the attribute ${name}`);
    if (name.endsWith('_as_tensor')) return unsupported(`its tree ensemble gives ${name} as a tensor`);
  }
  const decoded = new Map<string, Attribute>();
  const attribute = (name: string): Attribute | undefined => {
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
  const ints = (name: string) => attribute(name)?.ints ?? [];
  const floats = (name: string) => attribute(name)?.floats ?? [];
  if ((attribute('n_targets')?.i ?? 1) !== 1) return unsupported('its tree ensemble has more than one target');
  if ((attribute('post_transform')?.s ?? 'NONE') !== 'NONE') return unsupported('its tree ensemble has a post-transform');
  if ((attribute('aggregate_function')?.s ?? 'SUM') !== 'SUM') return unsupported('its tree ensemble does not sum its trees');
  const baseValues = floats('base_values');
  if (baseValues.length > 1) return unsupported('its tree ensemble has several base values');

  // The trees' shapes first: whether they fill out is decided by these alone, before the rest is decoded.
  const treeIds = ints('nodes_treeids');
  const count = treeIds.length;
  if (count === 0) return unsupported('its tree ensemble has no nodes');
  const listed = <T extends ArrayLike<unknown>>(name: string, list: T): T => {
    if (list.length !== count) throw new Declined(`its tree ensemble's ${name} has ${list.length} entries for ${count} nodes`);
    return list;
  };
  const nodeIds = listed('nodes_nodeids', ints('nodes_nodeids'));
  const modeNames = attribute('nodes_modes')?.strings ?? [];
  const modes = listed('nodes_modes', attribute('nodes_modes')?.stringCodes ?? []);
  const [LEAF, LT, LEQ] = ['LEAF', 'BRANCH_LT', 'BRANCH_LEQ'].map((mode) => modeNames.indexOf(mode));
  const trueIds = listed('nodes_truenodeids', ints('nodes_truenodeids'));
  const falseIds = listed('nodes_falsenodeids', ints('nodes_falsenodeids'));

  // Trees in the order onnxruntime sums them: by first appearance, each tree's nodes together, its root first. Each
  // tree's node ids index a flat table (`where`): converters number a tree's nodes 0 to n − 1.
  const treeStarts: number[] = [];
  /** Tree id → its number in that order. */
  const treeIndex = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    if (i > 0 && treeIds[i] === treeIds[i - 1]) continue;
    if (treeIndex.has(treeIds[i])) return unsupported("its trees' nodes are interleaved");
    treeIndex.set(treeIds[i], treeStarts.length);
    treeStarts.push(i);
  }
  const treeCount = treeStarts.length;
  treeStarts.push(count);
  const whereBase = new Int32Array(treeCount + 1);
  for (let t = 0; t < treeCount; t++) {
    let most = 0;
    for (let i = treeStarts[t]; i < treeStarts[t + 1]; i++) {
      if (!Number.isSafeInteger(nodeIds[i]) || nodeIds[i] < 0) return unsupported(`a node of tree ${treeIds[i]} has the id ${nodeIds[i]}`);
      most = Math.max(most, nodeIds[i]);
    }
    whereBase[t + 1] = whereBase[t] + most + 1;
  }
  if (whereBase[treeCount] > 4 * count + 1024) return unsupported('its node ids are far from 0 to n − 1 in each tree');
  const where = new Int32Array(whereBase[treeCount]).fill(-1);
  for (let t = 0; t < treeCount; t++) {
    for (let i = treeStarts[t]; i < treeStarts[t + 1]; i++) {
      const at = whereBase[t] + nodeIds[i];
      if (where[at] !== -1) return unsupported(`node ${nodeIds[i]} of tree ${treeIds[i]} appears twice`);
      where[at] = i;
    }
  }
  /** The index of node `id` of tree number t, or −1. */
  const find = (t: number, id: number): number => (Number.isSafeInteger(id) && id >= 0 && id < whereBase[t + 1] - whereBase[t] ? where[whereBase[t] + id] : -1);

  // Each tree's depth and each split's children (−1 for a leaf), checking that every split has two children of its
  // own tree and that it is a tree. The walk keeps (node, level) pairs on one stack, reused from tree to tree.
  const yesAt = new Int32Array(count).fill(-1);
  const noAt = new Int32Array(count).fill(-1);
  const depths = new Int32Array(treeCount);
  let stack = new Int32Array(64);
  let paddedLeaves = 0;
  let fileLeaves = 0;
  /** Σ over trees of its depth, and of its leaves' mean depth. */
  let walked = 0;
  let meanLeafDepths = 0;
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
      if (++reached > size) return unsupported(`tree ${treeIds[i]} is not a tree (a node is reached twice)`);
      if (d > MAX_DEPTH) return unsupported(`tree ${treeIds[i]} is deeper than ${MAX_DEPTH}`);
      const mode = modes[i];
      if (mode === LEAF) {
        depth = Math.max(depth, d);
        leafCount++;
        leafDepths += d;
        continue;
      }
      if (mode !== LT && mode !== LEQ) return unsupported(`it has ${modeNames[mode]} splits`);
      const yes = find(t, trueIds[i]);
      const no = find(t, falseIds[i]);
      if (yes < 0 || no < 0) return unsupported(`a split of tree ${treeIds[i]} points to a node the tree does not have`);
      yesAt[i] = yes;
      noAt[i] = no;
      stack[top++] = no;
      stack[top++] = d + 1;
      stack[top++] = yes;
      stack[top++] = d + 1;
    }
    if (reached !== size) return unsupported(`tree ${treeIds[treeStarts[t]]} has nodes its root does not reach`);
    depths[t] = depth;
    paddedLeaves += 2 ** depth;
    fileLeaves += leafCount;
    walked += depth;
    meanLeafDepths += leafDepths / leafCount;
  }
  if (paddedLeaves > MAX_PADDING * fileLeaves) {
    return unsupported(`its trees are too unbalanced to fill out (${paddedLeaves} leaves against ${fileLeaves})`);
  }
  if (walked > MAX_WALK_RATIO * meanLeafDepths) {
    const ratio = (walked / meanLeafDepths).toFixed(2);
    return unsupported(`its leaves sit too far above its trees' depth for the tree kernel to be faster (it would walk ${ratio}× their mean depth)`);
  }

  // Then every other attribute, which also checks that none names itself twice (attributeName read only the first
  // name; protobuf keeps the last, and so would onnxruntime): what the splits read and compare with, the weights.
  for (const name of node.attributes.keys()) attribute(name);
  const featureIds = listed('nodes_featureids', ints('nodes_featureids'));
  const values = listed('nodes_values', floats('nodes_values'));
  const missingTrue = ints('nodes_missing_value_tracks_true');
  if (missingTrue.length !== 0 && missingTrue.length !== count) return unsupported('its nodes_missing_value_tracks_true does not give one flag per node');
  for (let i = 0; i < count; i++) {
    if (yesAt[i] < 0) continue;
    if (!Number.isFinite(values[i])) return unsupported(`a split of tree ${treeIds[i]} has the threshold ${values[i]}`);
    if (!Number.isSafeInteger(featureIds[i]) || featureIds[i] < 0) return unsupported(`a split reads feature ${featureIds[i]}`);
  }
  const leafWeight = new Float32Array(count);
  const weighted = new Uint8Array(count);
  const targetTrees = ints('target_treeids');
  const targetNodes = ints('target_nodeids');
  const targetIds = ints('target_ids');
  const weights = floats('target_weights');
  if (targetNodes.length !== targetTrees.length || weights.length !== targetTrees.length || (targetIds.length !== 0 && targetIds.length !== targetTrees.length)) {
    return unsupported("its tree ensemble's target_* lists differ in length");
  }
  for (let k = 0; k < targetTrees.length; k++) {
    if ((targetIds[k] ?? 0) !== 0) return unsupported('a leaf weight is for another target than 0');
    const t = treeIndex.get(targetTrees[k]);
    const at = t === undefined ? -1 : find(t, targetNodes[k]);
    if (at < 0) return unsupported(`a weight is for node ${targetNodes[k]} of tree ${targetTrees[k]}, which does not exist`);
    if (weighted[at]) return unsupported('a leaf has more than one weight');
    weighted[at] = 1;
    leafWeight[at] = weights[k];
  }


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

  const internal = paddedLeaves - treeCount;
  const nodeWords = new Int32Array(new SharedArrayBuffer(8 * Math.max(1, internal)));
  const thresholds = new Float32Array(nodeWords.buffer);
  const leaves = new Float32Array(new SharedArrayBuffer(4 * paddedLeaves));
  const trees = new Int32Array(new SharedArrayBuffer(12 * treeCount));
  let nodeStart = 0;
  let leafStart = 0;
  for (let t = 0; t < treeCount; t++) {
    const depth = depths[t];
    trees[3 * t] = 2 * nodeStart;
    trees[3 * t + 1] = leafStart;
    trees[3 * t + 2] = depth;
    const firstLeaf = 2 ** depth - 1;
    // Fill heap position h (at level d) from file node i, with (i, h, d) triples on the stack; a leaf above the last
    // level fills its whole subtree, its splits sending every row to copies of the same value.
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
        // NaN fails every comparison: onnxruntime sends it to the false branch unless the node tracks missing values
        // to the true one. Held as −∞ it goes below any threshold, i.e. to the true branch.
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
  if (slotColumns.length * BLOCK_ROWS > 2 ** 31 - 1) return unsupported('it reads too many features');
  return {
    ok: true,
    trees: {
      nodes: nodeWords,
      leaves,
      trees,
      slotColumns: Int32Array.from(slotColumns),
      slotNanBelow: Uint8Array.from(slotNanBelow),
      base: Math.fround(baseValues[0] ?? 0),
      treeCount,
    },
  };
}

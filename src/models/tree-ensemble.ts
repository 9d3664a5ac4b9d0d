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
 * BRANCH_LEQ splits, one weight per leaf, and trees close enough to complete that filling them out at most doubles
 * their leaves (XGBoost's depth-limited trees; LightGBM's leaf-wise ones usually are not). Anything else answers
 * with the reason and runs in onnxruntime as before.
 *
 * The result is onnxruntime's to the bit (test/models/tree-ensemble.test.ts): the same float32 comparisons, NaN
 * routed as onnxruntime routes it, and each row's float32 sum taken over the trees in onnxruntime's order (as
 * onnxruntime sums them on one thread; on several it adds partial sums, which differs in the last bits).
 */
import { message, pushFloats, pushVarints, readMessage, text, type FieldValue } from './protobuf.js';

/** Rows evaluated together: their values of one feature are contiguous in the kernel's scratch block. */
export const BLOCK_ROWS = 64;

/** Filling the trees out to complete ones may at most double the leaves (else onnxruntime runs the model). */
const MAX_PADDING = 2;
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
  /** The nodes as the file has them (for figures): splits and leaves. */
  fileNodes: number;
}

export type TreeCompilation = { ok: true; trees: CompiledTrees } | { ok: false; reason: string };

interface Attribute {
  ints: number[];
  floats: number[];
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
  attributes: Map<string, Attribute>;
}

function readAttribute(bytes: Uint8Array): [string, Attribute] {
  let name = '';
  const attribute: Attribute = { ints: [], floats: [], strings: [], other: false };
  readMessage(bytes, (field, value) => {
    if (field === 1) name = text(value);
    else if (field === 2 && typeof value === 'number') attribute.f = value;
    else if (field === 3 && typeof value === 'number') attribute.i = value;
    else if (field === 4) attribute.s = text(value);
    else if (field === 5 || field === 6 || field === 10 || field === 11 || field === 22 || field === 23) attribute.other = true;
    else if (field === 7) pushFloats(value, attribute.floats);
    else if (field === 8) pushVarints(value, attribute.ints);
    else if (field === 9) attribute.strings.push(text(value));
  });
  return [name, attribute];
}

function readNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  readMessage(bytes, (field, value: FieldValue) => {
    if (field === 1) node.inputs.push(text(value));
    else if (field === 2) node.outputs.push(text(value));
    else if (field === 4) node.opType = text(value);
    else if (field === 7) node.domain = text(value);
    else if (field === 5) {
      const [name, attribute] = readAttribute(message(value));
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
  const bits = new Int32Array(new Float32Array([value]).buffer);
  if (value === 0) return 2 ** -149;
  bits[0] += value > 0 ? 1 : -1;
  return new Float32Array(bits.buffer)[0];
}

/**
 * Reads `bytes` (an ONNX model) and lays its trees out for the kernel, or says why it cannot: the model then runs in
 * onnxruntime. `inputName` and `outputName` are the ones the model's plan feeds and reads.
 */
export function compileTreeEnsemble(bytes: Uint8Array, inputName: string, outputName: string): TreeCompilation {
  try {
    return compile(bytes, inputName, outputName);
  } catch (error) {
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
  const a = node.attributes;
  for (const [name, attribute] of a) {
    if (!KNOWN_ATTRIBUTES.has(name)) return unsupported(`its tree ensemble has the attribute ${name}`);
    if (attribute.other || name.endsWith('_as_tensor')) return unsupported(`its tree ensemble gives ${name} as a tensor`);
  }
  const ints = (name: string) => a.get(name)?.ints ?? [];
  const floats = (name: string) => a.get(name)?.floats ?? [];
  if ((a.get('n_targets')?.i ?? 1) !== 1) return unsupported('its tree ensemble has more than one target');
  if ((a.get('post_transform')?.s ?? 'NONE') !== 'NONE') return unsupported('its tree ensemble has a post-transform');
  if ((a.get('aggregate_function')?.s ?? 'SUM') !== 'SUM') return unsupported('its tree ensemble does not sum its trees');
  const baseValues = floats('base_values');
  if (baseValues.length > 1) return unsupported('its tree ensemble has several base values');

  const treeIds = ints('nodes_treeids');
  const nodeIds = ints('nodes_nodeids');
  const featureIds = ints('nodes_featureids');
  const values = floats('nodes_values');
  const modes = a.get('nodes_modes')?.strings ?? [];
  const trueIds = ints('nodes_truenodeids');
  const falseIds = ints('nodes_falsenodeids');
  const missingTrue = ints('nodes_missing_value_tracks_true');
  const count = treeIds.length;
  if (count === 0) return unsupported('its tree ensemble has no nodes');
  for (const [name, list] of [['nodes_nodeids', nodeIds], ['nodes_featureids', featureIds], ['nodes_values', values], ['nodes_modes', modes], ['nodes_truenodeids', trueIds], ['nodes_falsenodeids', falseIds]] as const) {
    if (list.length !== count) return unsupported(`its tree ensemble's ${name} has ${list.length} entries for ${count} nodes`);
  }
  if (missingTrue.length !== 0 && missingTrue.length !== count) return unsupported('its nodes_missing_value_tracks_true does not give one flag per node');

  // Trees in the order onnxruntime sums them: by first appearance, each tree's nodes together, its root first.
  const treeOrder: number[] = [];
  const treeFirst: number[] = [];
  const byId = new Map<number, Map<number, number>>();
  for (let i = 0; i < count; i++) {
    let tree = byId.get(treeIds[i]);
    if (!tree) {
      tree = new Map();
      byId.set(treeIds[i], tree);
      treeOrder.push(treeIds[i]);
      treeFirst.push(i);
    } else if (treeIds[i - 1] !== treeIds[i]) {
      return unsupported('its trees\' nodes are interleaved');
    }
    if (tree.has(nodeIds[i])) return unsupported(`node ${nodeIds[i]} of tree ${treeIds[i]} appears twice`);
    tree.set(nodeIds[i], i);
  }

  const leafWeight = new Map<number, number>();
  const targetTrees = ints('target_treeids');
  const targetNodes = ints('target_nodeids');
  const targetIds = ints('target_ids');
  const weights = floats('target_weights');
  if (targetNodes.length !== targetTrees.length || weights.length !== targetTrees.length || (targetIds.length !== 0 && targetIds.length !== targetTrees.length)) {
    return unsupported('its tree ensemble\'s target_* lists differ in length');
  }
  for (let k = 0; k < targetTrees.length; k++) {
    if ((targetIds[k] ?? 0) !== 0) return unsupported('a leaf weight is for another target than 0');
    const at = byId.get(targetTrees[k])?.get(targetNodes[k]);
    if (at === undefined) return unsupported(`a weight is for node ${targetNodes[k]} of tree ${targetTrees[k]}, which does not exist`);
    if (leafWeight.has(at)) return unsupported('a leaf has more than one weight');
    leafWeight.set(at, weights[k]);
  }

  // Each tree's depth, checking that every split has two children of its own tree, and that it is a tree.
  const depths: number[] = [];
  let paddedLeaves = 0;
  let fileLeaves = 0;
  for (let t = 0; t < treeOrder.length; t++) {
    const tree = byId.get(treeOrder[t])!;
    let depth = 0;
    let reached = 0;
    const stack: [number, number][] = [[treeFirst[t], 0]];
    while (stack.length > 0) {
      const [i, d] = stack.pop()!;
      if (++reached > tree.size) return unsupported(`tree ${treeOrder[t]} is not a tree (a node is reached twice)`);
      if (d > MAX_DEPTH) return unsupported(`tree ${treeOrder[t]} is deeper than ${MAX_DEPTH}`);
      const mode = modes[i];
      if (mode === 'LEAF') {
        depth = Math.max(depth, d);
        fileLeaves++;
        continue;
      }
      if (mode !== 'BRANCH_LT' && mode !== 'BRANCH_LEQ') return unsupported(`it has ${mode} splits`);
      const threshold = values[i];
      if (!Number.isFinite(threshold)) return unsupported(`a split of tree ${treeOrder[t]} has the threshold ${threshold}`);
      const yes = tree.get(trueIds[i]);
      const no = tree.get(falseIds[i]);
      if (yes === undefined || no === undefined) return unsupported(`a split of tree ${treeOrder[t]} points to a node the tree does not have`);
      stack.push([no, d + 1], [yes, d + 1]);
    }
    if (reached !== tree.size) return unsupported(`tree ${treeOrder[t]} has nodes its root does not reach`);
    depths.push(depth);
    paddedLeaves += 2 ** depth;
  }
  if (paddedLeaves > MAX_PADDING * fileLeaves) {
    return unsupported(`its trees are too unbalanced to fill out (${paddedLeaves} leaves against ${fileLeaves})`);
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

  const internal = paddedLeaves - treeOrder.length;
  const nodeWords = new Int32Array(new SharedArrayBuffer(8 * Math.max(1, internal)));
  const thresholds = new Float32Array(nodeWords.buffer);
  const leaves = new Float32Array(new SharedArrayBuffer(4 * paddedLeaves));
  const trees = new Int32Array(new SharedArrayBuffer(12 * treeOrder.length));
  let nodeStart = 0;
  let leafStart = 0;
  for (let t = 0; t < treeOrder.length; t++) {
    const tree = byId.get(treeOrder[t])!;
    const depth = depths[t];
    trees[3 * t] = 2 * nodeStart;
    trees[3 * t + 1] = leafStart;
    trees[3 * t + 2] = depth;
    const firstLeaf = 2 ** depth - 1;
    // Fill heap position h (at level d) from file node i; a leaf above the last level fills its whole subtree,
    // its splits sending every row to copies of the same value.
    const stack: [number, number, number][] = [[treeFirst[t], 0, 0]];
    while (stack.length > 0) {
      const [i, h, d] = stack.pop()!;
      if (d === depth) {
        const weight = leafWeight.get(i) ?? 0;
        leaves[leafStart + h - firstLeaf] = modes[i] === 'LEAF' ? weight : 0;
        continue;
      }
      const at = 2 * (nodeStart + h);
      if (modes[i] === 'LEAF') {
        nodeWords[at] = 0;
        thresholds[at + 1] = 0;
        stack.push([i, 2 * h + 2, d + 1], [i, 2 * h + 1, d + 1]);
        continue;
      }
      const column = featureIds[i];
      if (!Number.isSafeInteger(column) || column < 0) return unsupported(`a split reads feature ${column}`);
      // NaN fails every comparison: onnxruntime sends it to the false branch unless the node tracks missing values
      // to the true one. Held as −∞ it goes below any threshold, i.e. to the true branch.
      const nanBelow = missingTrue.length > 0 && missingTrue[i] === 1;
      nodeWords[at] = slot(column, nanBelow) * BLOCK_ROWS;
      thresholds[at + 1] = modes[i] === 'BRANCH_LEQ' ? nextFloat32Up(values[i]) : values[i];
      stack.push([tree.get(falseIds[i])!, 2 * h + 2, d + 1], [tree.get(trueIds[i])!, 2 * h + 1, d + 1]);
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
      treeCount: treeOrder.length,
      fileNodes: count,
    },
  };
}

/**
 * The evaluation loop for a CompiledTrees (tree-ensemble.ts), run by the calling thread and by each tree worker
 * (tree-threads.ts). Threads take blocks of BLOCK_ROWS rows from a shared counter until none is left, so a thread
 * slowed by a busy machine takes fewer; each block's result depends only on its rows, so the output is the same
 * whatever the number of threads.
 *
 * The functions are self-contained: tree-threads.ts starts its workers from their source text, so they may use
 * nothing but one another, their arguments and the language's globals.
 */
import type { CompiledTrees } from './tree-ensemble.js';

export interface TreeJob {
  ensemble: CompiledTrees;
  /** BLOCK_ROWS (the kernel cannot import it). */
  blockRows: number;
  /** The table's values, row-major, `tableWidth` per row. */
  table: Float32Array;
  tableWidth: number;
  rows: number;
  /** The table column of each model input column. */
  columns: Int32Array;
  /** Fed in place of NaN (the model's fill_missing); NaN for none. */
  fill: number;
  /** One float32 per row, the model's output, in shared memory. */
  out: Float32Array;
  /** Int32Array over shared memory: [0] is the next block to take. */
  next: Int32Array;
}

export function evaluateTreeBlocks(job: TreeJob): void {
  const B = job.blockRows;
  const { nodes, leaves, trees, slotColumns, slotNanBelow, chunkEnds, chunkBases } = job.ensemble;
  const thresholds = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const slots = slotColumns.length;
  const hasFill = job.fill === job.fill;
  // Per slot, the table column it reads and what it holds for NaN.
  const source = new Int32Array(slots);
  const nanAs = new Float32Array(slots);
  for (let s = 0; s < slots; s++) {
    source[s] = job.columns[slotColumns[s]];
    nanAs[s] = hasFill ? job.fill : slotNanBelow[s] === 1 ? -Infinity : NaN;
  }
  const block = new Float32Array(slots * B);
  const sums = new Float32Array(B);
  const total = new Float64Array(B);
  for (;;) {
    const first = Atomics.add(job.next, 0, 1) * B;
    if (first >= job.rows) return;
    const n = Math.min(B, job.rows - first);
    fillBlock(job.table, job.tableWidth, first, n, source, nanAs, block, B);
    // Rows past the end of a short last block keep the values of the block before: their sums are not written.
    // Each chunk's trees are summed in float32 and its base added in float32; the chunks are added in double, and
    // the output is that double as a float32 (with one chunk, exactly its float32 sum).
    total.fill(0);
    for (let c = 0, from = 0; c < chunkEnds.length; from = chunkEnds[c++]) {
      sums.fill(0);
      walkTrees(nodes, thresholds, leaves, trees, from, chunkEnds[c], block, sums, B);
      const base = chunkBases[c];
      for (let i = 0; i < B; i++) total[i] += Math.fround(sums[i] + base);
    }
    for (let i = 0; i < n; i++) job.out[first + i] = total[i];
  }
}

/**
 * The block's rows, slot-major: the values of one slot are contiguous, so that a tree's splits read few cache lines.
 * Its own function, as is walkTrees: the table may be plain or shared memory, and keeping that out of the walk keeps
 * the walk's code compiled for one kind of array (V8 recompiles a loop that meets a second kind, at 3× the time).
 */
export function fillBlock(
  table: Float32Array,
  width: number,
  first: number,
  n: number,
  source: Int32Array,
  nanAs: Float32Array,
  block: Float32Array,
  B: number,
): void {
  const slots = source.length;
  for (let i = 0; i < n; i++) {
    const row = (first + i) * width;
    for (let s = 0; s < slots; s++) {
      const v = table[row + source[s]];
      block[s * B + i] = v === v ? v : nanAs[s];
    }
  }
}

/** Adds the leaf of trees [from, end) for each of the block's B rows to `sums`, tree after tree (onnxruntime's order). */
export function walkTrees(
  nodes: Int32Array,
  thresholds: Float32Array,
  leaves: Float32Array,
  trees: Int32Array,
  from: number,
  end: number,
  block: Float32Array,
  sums: Float32Array,
  B: number,
): void {
  for (let t = from; t < end; t++) {
    const start = trees[3 * t];
    const depth = trees[3 * t + 2];
    const leaf = trees[3 * t + 1] - (2 ** depth - 1);
    // Four rows at a time: four independent walks keep the core busy while each waits for its loads. A comparison
    // becomes 0 or 1 with `| 0`, which compiles to no branch.
    for (let i = 0; i < B; i += 4) {
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      for (let level = 0; level < depth; level++) {
        const pa = start + 2 * a;
        const pb = start + 2 * b;
        const pc = start + 2 * c;
        const pd = start + 2 * d;
        a = 2 * a + 2 - (((block[nodes[pa] + i] < thresholds[pa + 1]) as unknown as number) | 0);
        b = 2 * b + 2 - (((block[nodes[pb] + i + 1] < thresholds[pb + 1]) as unknown as number) | 0);
        c = 2 * c + 2 - (((block[nodes[pc] + i + 2] < thresholds[pc + 1]) as unknown as number) | 0);
        d = 2 * d + 2 - (((block[nodes[pd] + i + 3] < thresholds[pd + 1]) as unknown as number) | 0);
      }
      sums[i] += leaves[leaf + a];
      sums[i + 1] += leaves[leaf + b];
      sums[i + 2] += leaves[leaf + c];
      sums[i + 3] += leaves[leaf + d];
    }
  }
}

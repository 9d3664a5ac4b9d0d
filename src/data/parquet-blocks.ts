/**
 * The feature part of a parquet read as a list of independent tasks, and the loop that works through them. Both the
 * calling thread and the decode workers (parquet-worker.ts) run the same loop over the same list, so a parallel read
 * decodes every value with the same code, into the same place, as a single-threaded one.
 *
 * A task is one block of up to BLOCK_COLUMNS consecutive output columns of one row group: its column chunks are
 * fetched (neighbours in the file in one read), decoded column-major into the thread's scratch buffer and transposed
 * into the row-major output (which, for a parallel read, is one SharedArrayBuffer every thread writes its own cells of).
 *
 * Tasks are numbered in the order a single thread meets them (`order`). A task that fails reports its failure with
 * that number; the read then fails with the lowest-numbered failure, which is exactly the one a single-threaded read
 * would have stopped at, whichever thread got there first.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ColumnMetaData, SchemaElement, SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { decodeNumericChunk, type ChunkColumn } from './parquet-pages.js';
import { messageOf } from './errors.js';

/** Columns decoded per block: 64 floats of a row are one 256-byte write. */
export const BLOCK_COLUMNS = 64;
/**
 * Column chunks closer than this in the file are fetched in one read. A block's columns can lie far apart (a feature
 * list in another order than the file's): with 64 KB, the 780 `medium` columns of the 7.6 MB live file read 12.2 MB
 * in 449 reads, the gaps between them read over and over; with 8 KB, 2.6 MB in 719.
 */
const READ_GAP_BYTES = 8 * 1024;
/** Upper bound of one read, so a huge row group never needs one huge buffer. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
/** Rows per transpose tile: a tile of one block (64 rows × 64 columns) stays in the CPU cache. */
const TILE_ROWS = 64;

/** One feature column of a block: what the page decoder needs, and where the column goes in the output. */
export interface BlockColumn {
  name: string;
  /** The root's schema element and the column's own (all that the page functions read of the schema path). */
  root: SchemaElement;
  element: SchemaElement;
  meta: ColumnMetaData;
  /** The column's position in the output rows. */
  target: number;
}

export interface BlockTask {
  /** Position in the single-threaded order of work (see the module comment). */
  order: number;
  /** Row group index, for error messages. */
  group: number;
  /** The row group's first row in the output, and its row count. */
  rowStart: number;
  rows: number;
  columns: BlockColumn[];
}

/** A task's failure as it can cross a thread boundary: the DataError's problem text and columns. */
export interface DecodeFailure {
  order: number;
  problem: string;
  columns: string[];
  /** The underlying error's message (its object stays in the thread that caught it). */
  cause: string;
  /** The error itself, when it was caught in the calling thread. */
  error?: unknown;
}

/** Slots of the Int32Array that the threads of one read share. */
const NEXT_TASK = 0;
const FIRST_FAILED = 1;
export const CONTROL_SLOTS = 2;

/** A fresh control block for `taskCount` tasks: no task taken, none failed. */
export function newControl(shared: boolean): Int32Array {
  const control = new Int32Array(shared ? new SharedArrayBuffer(CONTROL_SLOTS * 4) : new ArrayBuffer(CONTROL_SLOTS * 4));
  control[FIRST_FAILED] = 0x7fffffff;
  return control;
}

/** Lowers the shared "first failed task" mark to `order` (an atomic minimum). */
export function markFailed(control: Int32Array, order: number): void {
  for (let seen = Atomics.load(control, FIRST_FAILED); order < seen; ) {
    const previous = Atomics.compareExchange(control, FIRST_FAILED, seen, order);
    if (previous === seen) return;
    seen = previous;
  }
}

export interface ByteRange {
  start: number;
  end: number;
}

export function chunkRange(meta: ColumnMetaData): ByteRange {
  const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
  return { start, end: start + Number(meta.total_compressed_size) };
}

/**
 * Memory that a thread's reads reuse, grown when a read needs more. Fresh memory costs a page fault per 4 KB the
 * first time it is written: 13–15 ms for 21 MB on the 2-core development VM, against a read of 200–250 ms.
 */
export interface ReadBuffer {
  bytes: Uint8Array;
}

/**
 * Reads the byte ranges (merging neighbours into one read) and returns each range's bytes, in input order. With
 * `reuse`, the bytes are views of its memory, valid until its next use.
 */
export function readRanges(fd: number, fileSize: number, ranges: readonly ByteRange[], reuse?: ReadBuffer): Uint8Array[] {
  for (const { start, end } of ranges) {
    if (!(start >= 0 && end >= start && end <= fileSize)) throw new Error(`a column chunk (bytes ${start}–${end}) lies outside the ${fileSize}-byte file`);
  }
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].start - ranges[b].start);
  // Spans of the file to read, each covering the ranges order[first … last).
  const spans: { start: number; end: number; first: number; last: number }[] = [];
  let total = 0;
  for (let i = 0; i < order.length; ) {
    const span = { start: ranges[order[i]].start, end: ranges[order[i]].end, first: i, last: i + 1 };
    while (span.last < order.length) {
      const next = ranges[order[span.last]];
      if (next.start - span.end > READ_GAP_BYTES || Math.max(span.end, next.end) - span.start > MAX_READ_BYTES) break;
      span.end = Math.max(span.end, next.end);
      span.last++;
    }
    spans.push(span);
    total += span.end - span.start;
    i = span.last;
  }
  let buffer: Uint8Array;
  if (reuse) {
    if (reuse.bytes.length < total) reuse.bytes = new Uint8Array(total);
    buffer = reuse.bytes;
  } else {
    buffer = new Uint8Array(total);
  }
  const result = new Array<Uint8Array>(ranges.length);
  let at = 0;
  for (const span of spans) {
    const length = span.end - span.start;
    let filled = 0;
    while (filled < length) {
      const bytesRead = readSync(fd, buffer, at + filled, length - filled, span.start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== length) throw new Error(`read ${filled} of ${length} bytes at offset ${span.start}`);
    for (let k = span.first; k < span.last; k++) {
      const range = ranges[order[k]];
      result[order[k]] = buffer.subarray(at + range.start - span.start, at + range.end - span.start);
    }
    at += length;
  }
  return result;
}

/**
 * Copies a column-major block (targets.length columns × rows) into the row-major output: block column c goes to
 * output column targets[c], rows from rowStart. Tile by tile, so reads and strided writes stay within cache.
 */
function transposeInto(values: Float32Array, width: number, rowStart: number, targets: Int32Array, block: Float32Array, rows: number): void {
  for (let r0 = 0; r0 < rows; r0 += TILE_ROWS) {
    const r1 = Math.min(rows, r0 + TILE_ROWS);
    for (let c = 0; c < targets.length; c++) {
      const source = c * rows;
      let o = (rowStart + r0) * width + targets[c];
      for (let r = r0; r < r1; r++, o += width) values[o] = block[source + r];
    }
  }
}

/** What one thread works with: the open file, the output and its own scratch buffer. */
export interface BlockContext {
  fd: number;
  fileSize: number;
  values: Float32Array;
  width: number;
  scratch: Float32Array;
  /** The block's column chunks, read into memory reused block after block. */
  reads: ReadBuffer;
}

/** Decodes one block into the output; returns its failure instead of throwing. */
export function runBlock(task: BlockTask, context: BlockContext): DecodeFailure | undefined {
  const { rows, columns } = task;
  let bytes: Uint8Array[];
  try {
    bytes = readRanges(context.fd, context.fileSize, columns.map((column) => chunkRange(column.meta)), context.reads);
  } catch (error) {
    return { order: task.order, problem: `the parquet data is corrupt and could not be decoded: ${messageOf(error)}`, columns: [], cause: messageOf(error), error };
  }
  if (context.scratch.length < columns.length * rows) context.scratch = new Float32Array(columns.length * rows);
  const targets = new Int32Array(columns.length);
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c];
    targets[c] = column.target;
    const schemaPath: SchemaTree[] = [
      { element: column.root, children: [], count: 1, path: [] },
      { element: column.element, children: [], count: 1, path: [column.name] },
    ];
    const chunkColumn: ChunkColumn = { name: column.name, element: column.element, schemaPath };
    try {
      decodeNumericChunk(bytes[c], chunkColumn, column.meta, compressors, rows, context.scratch, c * rows);
    } catch (error) {
      return {
        order: task.order,
        problem: `the parquet data is corrupt and could not be decoded (column ${column.name}, row group ${task.group}): ${messageOf(error)}`,
        columns: [column.name],
        cause: messageOf(error),
        error,
      };
    }
  }
  transposeInto(context.values, context.width, task.rowStart, targets, context.scratch, rows);
  return undefined;
}

/**
 * Takes tasks from the shared counter until none is left, or until every task left comes after one that failed.
 * Returns this thread's failure (its first, which is its lowest-numbered: each thread takes tasks in order).
 */
export function drainBlocks(path: string, fileSize: number, tasks: readonly BlockTask[], values: Float32Array, width: number, control: Int32Array): DecodeFailure | undefined {
  const fd = openSync(path, 'r');
  try {
    const context: BlockContext = { fd, fileSize, values, width, scratch: new Float32Array(0), reads: { bytes: new Uint8Array(0) } };
    for (;;) {
      const i = Atomics.add(control, NEXT_TASK, 1);
      if (i >= tasks.length) return undefined;
      const task = tasks[i];
      if (task.order > Atomics.load(control, FIRST_FAILED)) return undefined;
      const failure = runBlock(task, context);
      if (failure) {
        markFailed(control, task.order);
        return failure;
      }
    }
  } finally {
    closeSync(fd);
  }
}

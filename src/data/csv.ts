/**
 * Reads a live file in CSV form (a header row, then one row per id) into a FeatureTable, streaming it through
 * csv-parse so the text never sits in memory whole. Same result as the parquet reader for the same data: columns
 * in the requested order, empty cells and pandas' missing-value spellings ("nan", "NA", ...) as NaN.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { PANDAS_NA_VALUES } from '../submission/rules.js';
import { DataError, fileAccessError, listNames, messageOf } from './errors.js';
import type { ReadTableOptions } from './parquet.js';
import type { FeatureTable } from './table.js';

/**
 * The cells read as a missing value: what pandas' read_csv reads as NaN (the one list, in submission/rules.ts), plus
 * "NAN", because numpy's float parser reads that spelling as NaN too and live files written through numpy may hold it.
 */
const MISSING: ReadonlySet<string> = new Set([...PANDAS_NA_VALUES, 'NAN']);

/** A growable row-major buffer: the row count of a CSV file is unknown until its end. */
class RowBuffer {
  private buffer: Float32Array;
  rows = 0;

  constructor(private readonly width: number) {
    this.buffer = new Float32Array(Math.max(1, width) * 1024);
  }

  /** The slot at which the next row starts, growing the buffer when needed. */
  nextRow(): number {
    const start = this.rows * this.width;
    if (start + this.width > this.buffer.length) {
      const grown = new Float32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.rows++;
    return start;
  }

  set(slot: number, value: number): void {
    this.buffer[slot] = value;
  }

  /** The filled part, copied into an exactly-sized array so the spare capacity can be freed. */
  finish(): Float32Array {
    return this.buffer.slice(0, this.rows * this.width);
  }
}

/**
 * Reads `columns` (and the id column) of a CSV file into a FeatureTable. Throws DataError for a missing or empty
 * file, missing columns (all named), rows of the wrong length, duplicate header names, and cells that are not numbers
 * (row and column named).
 */
export async function readCsvTable(path: string, columns: readonly string[], options: ReadTableOptions = {}): Promise<FeatureTable> {
  const idColumn = options.idColumn ?? 'id';
  const names = [...new Set(columns)];
  try {
    const info = await stat(path);
    if (info.size === 0) throw new DataError(path, 'the file is empty (0 bytes); expected a CSV file with a header row');
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw fileAccessError(path, error, 'open');
  }

  const parser = createReadStream(path).pipe(parse({ bom: true, relax_column_count: false, skip_empty_lines: true }));
  const ids: string[] = [];
  const buffer = new RowBuffer(names.length);
  let sourceIndexes: Int32Array | undefined;
  let idIndex = -1;
  let line = 1;

  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (sourceIndexes === undefined) {
        const header = new Map<string, number>();
        const duplicates = new Set<string>();
        record.forEach((name, i) => (header.has(name) ? duplicates.add(name) : header.set(name, i)));
        if (duplicates.size > 0) throw new DataError(path, `the header names column(s) more than once: ${listNames([...duplicates])}`);
        const missing = [idColumn, ...names].filter((name) => !header.has(name));
        if (missing.length > 0) {
          throw new DataError(path, `${missing.length} requested column(s) are not in the header: ${listNames(missing)}`, { columns: missing });
        }
        idIndex = header.get(idColumn)!;
        sourceIndexes = Int32Array.from(names, (name) => header.get(name)!);
        continue;
      }
      line++;
      const id = record[idIndex];
      if (!id) throw new DataError(path, `line ${line} has no id in column "${idColumn}"`);
      ids.push(id);
      const slot = buffer.nextRow();
      for (let j = 0; j < sourceIndexes.length; j++) {
        const text = record[sourceIndexes[j]].trim();
        const value = MISSING.has(text) ? NaN : Number(text);
        if (Number.isNaN(value) && !MISSING.has(text)) {
          throw new DataError(path, `line ${line}, column "${names[j]}": "${text.slice(0, 40)}" is not a number`, { columns: [names[j]] });
        }
        buffer.set(slot + j, value);
      }
    }
  } catch (error) {
    parser.destroy();
    if (error instanceof DataError) throw error;
    throw new DataError(path, `the CSV is malformed: ${messageOf(error)}`, { cause: error });
  }
  if (sourceIndexes === undefined) throw new DataError(path, 'the file has no header row');
  return { ids, columns: names, rows: buffer.rows, values: buffer.finish(), source: path, decodeThreads: 1 };
}

/**
 * Submission files: the CSV Numerai takes (`id,prediction`, one row per live id), written with every prediction at
 * full precision (parsing a written value gives back the same double), and read back the way Numerai's pandas-based
 * validator would read it (empty cells and pandas NA tokens are NaN).
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { COLUMNS, checkHeaders, checkSubmission, PANDAS_NA_VALUES, type SubmissionCheck, type TournamentRules } from './rules.js';

/** The CSV of a submission: header `id,prediction`, one row per id, predictions in shortest round-trip form. */
export function submissionCsv(ids: readonly string[], predictions: ArrayLike<number>): string {
  if (ids.length !== predictions.length) {
    throw new Error(`submissionCsv: ${ids.length} ids but ${predictions.length} predictions`);
  }
  const rows: string[][] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) rows[i] = [ids[i], formatFloat(predictions[i])];
  return stringify(rows, { header: true, columns: ['id', 'prediction'], record_delimiter: 'unix' });
}

/**
 * A number as pandas' to_csv writes it, but exact: JavaScript's shortest representation that parses back to the same
 * double (e.g. `0.30000000000000004`, `1e-7`). NaN is an empty cell, infinities are `inf`/`-inf`.
 */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return '';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF = new Set(['inf', '+inf', 'Inf', '+Inf', 'infinity', 'Infinity', '+infinity', '+Infinity', 'INF']);
const NEG_INF = new Set(['-inf', '-Inf', '-infinity', '-Infinity', '-INF']);

/** Parse one prediction cell as pandas would read a float column; null when it is not a number at all. */
export function parseFloatCell(cell: string): number | null {
  const s = cell.trim();
  if (PANDAS_NA_VALUES.has(s)) return NaN;
  if (FLOAT.test(s)) return Number(s);
  if (INF.has(s)) return Infinity;
  if (NEG_INF.has(s)) return -Infinity;
  return null;
}

export interface ParsedSubmission {
  header: string[];
  ids: string[];
  predictions: number[];
  /** Column index of the ids and predictions (the first id-like / prediction-like column, else 0 and 1). */
  idIndex: number;
  predictionIndex: number;
}

/**
 * Read a submission CSV. The id column is the first column with an id name of any tournament (`id`, `ticker`,
 * `symbol`, ...) and the prediction column the first with a prediction name (`prediction`, `probability`,
 * `signal`), else the first and second columns: header problems are for the rules to report, not this reader.
 * Throws an Error naming the line on a malformed file (unbalanced quotes, rows of different lengths, a prediction
 * that is not a number, no header).
 */
export function parseSubmissionCsv(text: string | Uint8Array): ParsedSubmission {
  let records: string[][];
  try {
    records = parse(typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength), {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
    });
  } catch (error) {
    throw new Error(`Malformed submission CSV: ${(error as Error).message}`, { cause: error });
  }
  if (records.length === 0) throw new Error('Malformed submission CSV: the file is empty (no header row)');
  const header = records[0].map((h) => h.trim());
  const allIds = new Set(Object.values(COLUMNS).flatMap((c) => c.id));
  const allPreds = new Set(Object.values(COLUMNS).flatMap((c) => c.prediction));
  let idIndex = header.findIndex((h) => allIds.has(h));
  if (idIndex < 0) idIndex = 0;
  let predictionIndex = header.findIndex((h, i) => i !== idIndex && allPreds.has(h));
  if (predictionIndex < 0) predictionIndex = header.length > 1 ? (idIndex === 1 ? 0 : 1) : -1;

  const n = records.length - 1;
  const ids: string[] = new Array(n);
  const predictions: number[] = new Array(n);
  for (let r = 1; r < records.length; r++) {
    const row = records[r];
    ids[r - 1] = row[idIndex];
    if (predictionIndex < 0) {
      predictions[r - 1] = NaN;
      continue;
    }
    const value = parseFloatCell(row[predictionIndex]);
    if (value === null) {
      throw new Error(
        `Malformed submission CSV: line ${r + 1}: ${header[predictionIndex] || 'prediction'} ${JSON.stringify(row[predictionIndex])} is not a number`,
      );
    }
    predictions[r - 1] = value;
  }
  return { header, ids, predictions, idIndex, predictionIndex };
}

/**
 * Everything Numerai checks about an uploaded CSV: it parses, its headers, then ids and values (see rules.ts).
 * A file that does not parse gives one problem naming the reason.
 */
export function checkSubmissionCsv(
  text: string | Uint8Array,
  liveIds: readonly string[],
  rules: TournamentRules = 'classic',
): SubmissionCheck {
  let parsed: ParsedSubmission;
  try {
    parsed = parseSubmissionCsv(text);
  } catch (error) {
    return { ok: false, problems: [(error as Error).message], extraIds: [], missingIds: [], duplicateIds: [] };
  }
  return checkParsedSubmission(parsed.header, parsed.ids, parsed.predictions, liveIds, rules);
}

/** Headers, then ids and values, of a table already read (from a CSV or a parquet file). */
export function checkParsedSubmission(
  header: readonly string[],
  ids: readonly string[],
  predictions: ArrayLike<number>,
  liveIds: readonly string[],
  rules: TournamentRules = 'classic',
): SubmissionCheck {
  const headers = checkHeaders(header, rules);
  if (!headers.ok) {
    return { ok: false, problems: [headers.problem], extraIds: [], missingIds: [], duplicateIds: [] };
  }
  return checkSubmission(ids, predictions, liveIds, { rules, idColumn: header[headers.idIndex] });
}

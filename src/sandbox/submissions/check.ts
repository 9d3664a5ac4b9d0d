/** Numerai's checks of an uploaded submission file (CSV or parquet), as create_submission runs them. */
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { checkParsedSubmission, checkSubmissionCsv } from '../../submission/csv.js';
import { COLUMNS, type rulesForTournament } from '../../submission/rules.js';

export const unreadable = (reason: string) => `Could not read the submission file: ${reason}`;

/** Validate an uploaded CSV or parquet file with Numerai's rules. */
export async function checkUpload(
  filename: string,
  bytes: Uint8Array,
  liveIds: readonly string[],
  rules: ReturnType<typeof rulesForTournament>,
): Promise<{ ok: boolean; problems: string[]; rows: number }> {
  if (/\.parquet$/i.test(filename)) {
    let rows: Record<string, unknown>[];
    try {
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      rows = await parquetReadObjects({ file, compressors });
    } catch (error) {
      return { ok: false, problems: [unreadable((error as Error).message)], rows: 0 };
    }
    let header = rows.length > 0 ? Object.keys(rows[0]) : [];
    // pandas' to_parquet writes a named index (id) after the data columns: read the two columns by name
    const cols = COLUMNS[rules];
    const named = header.filter((h) => h !== '__index_level_0__');
    if (named.length === 2 && cols.prediction.includes(named[0]) && cols.id.includes(named[1])) header = [named[1], named[0]];
    const idCol = header[0];
    const predCol = header[1];
    const ids = rows.map((r) => (r[idCol] === null || r[idCol] === undefined ? '' : String(r[idCol])));
    const preds = rows.map((r) => (typeof r[predCol] === 'number' ? (r[predCol] as number) : NaN));
    const check = checkParsedSubmission(header, ids, preds, liveIds, rules);
    return { ok: check.ok, problems: check.problems, rows: rows.length };
  }
  const check = checkSubmissionCsv(bytes, liveIds, rules);
  if (!check.ok && check.problems[0].startsWith('Malformed submission CSV')) {
    return { ok: false, problems: [unreadable(check.problems[0])], rows: 0 };
  }
  const text = new TextDecoder().decode(bytes);
  const rows = Math.max(0, text.split(/\r?\n/).filter((l) => l.trim() !== '').length - 1);
  return { ok: check.ok, problems: check.problems, rows };
}

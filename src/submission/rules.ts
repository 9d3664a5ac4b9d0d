/**
 * Numerai's submission rules, as Numerai's own validator (numerai-tools `numerai_tools/submissions.py`) enforces
 * them, with its messages verbatim. The sandbox's `create_submission` and the client pipeline (before it uploads)
 * both use this module, so a file the pipeline accepts is a file the sandbox accepts.
 *
 * The checks, in numerai-tools' order:
 *  1. headers: exactly two columns, one of the id columns then one of the prediction columns;
 *  2. ids: no NaN (an empty cell or a pandas NA token such as `nan`), no duplicates among the live ids, every live id
 *     present (Classic); ids that are not live are not an error, they are filtered out (returned as `extraIds`);
 *  3. values (of the rows whose id is live): no NaN; within [0, 1], with numpy's `isclose` tolerance at the bounds
 *     (numerai-tools' test is `between(0, 1)`, inclusive, although its message says "exclusive": exactly 0 and 1 are
 *     accepted, as users have observed on the real server); a standard deviation that is not close to zero.
 *
 * numerai-tools stops at the first failed assertion; `problems` lists every failed check in that order, so its first
 * element is the message Numerai would give.
 */

export interface SubmissionCheck {
  ok: boolean;
  /** Numerai's messages, in numerai-tools' check order; empty when ok. */
  problems: string[];
  /** Ids that are not in the live set: filtered out, not an error (numerai-tools' "invalid tickers"). */
  extraIds: string[];
  /** Live ids the submission lacks. */
  missingIds: string[];
  /** Live ids that appear more than once. */
  duplicateIds: string[];
}

export type TournamentRules = 'classic' | 'signals' | 'crypto';

/** The messages, verbatim from numerai-tools. */
export const MESSAGES = {
  headers: (idCols: readonly string[], predCols: readonly string[]) =>
    `invalid_submission_headers: headers must be one of ${pyList(idCols)} and one of ${pyList(predCols)}`,
  dateColumn: 'invalid_submission_headers: submission must contain a date column',
  nanIds: (idCol: string) => `invalid_submission_ids: Submission must not contain NaNs in the ${idCol} column.`,
  duplicateIds: (idCol: string) => `invalid_submission_ids: Duplicates detected in ${idCol} for live period.`,
  notEnoughIds:
    'invalid_submission_ids: Not enough stocks submitted. Are you using the latest live ids or live universe?',
  nanValues: 'invalid_submission_values: submission must not contain NaNs',
  range: 'invalid_submission_values: values must be between 0 and 1 exclusive',
  zeroStd: 'invalid_submission_values: submission must have non-zero standard deviation',
} as const;

/**
 * The older sentences the real server has returned from `create_submission` (forum 2021–2022), for a server that
 * answers in that style. Maps a numerai-tools message to the legacy one (messages without a legacy form map to
 * themselves).
 */
export function legacyMessage(problem: string): string {
  if (problem.startsWith('invalid_submission_values: values must be between')) {
    return 'Invalid submission values. Values must be between 0 and 1 exclusive.';
  }
  if (problem.startsWith('invalid_submission_ids:')) {
    return 'You must provide predictions for the current live IDs. Make sure you are using the latest live data.';
  }
  return problem;
}

/** Allowed columns per tournament (numerai-tools constants). */
export const COLUMNS: Record<TournamentRules, { id: readonly string[]; prediction: readonly string[]; date: readonly string[]; minIds: number | 'all' }> = {
  classic: { id: ['id'], prediction: ['prediction', 'probability'], date: [], minIds: 'all' },
  signals: {
    id: ['ticker', 'sedol', 'bloomberg_ticker', 'composite_figi', 'numerai_ticker'],
    prediction: ['prediction', 'signal'],
    date: ['friday_date', 'date'],
    minIds: 100,
  },
  crypto: { id: ['symbol'], prediction: ['prediction', 'signal'], date: [], minIds: 100 },
};

/** The rules of a tournament id (8 classic, 11 signals, 12 crypto). */
export function rulesForTournament(tournament: number): TournamentRules {
  if (tournament === 11) return 'signals';
  if (tournament === 12) return 'crypto';
  return 'classic';
}

/**
 * The strings pandas' `read_csv` reads as NaN by default. An id cell holding one of these is a NaN id on Numerai's
 * side.
 */
export const PANDAS_NA_VALUES: ReadonlySet<string> = new Set([
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA',
  'NULL', 'NaN', 'None', 'n/a', 'nan', 'null',
]);

export function isNaId(id: string | null | undefined): boolean {
  return id === null || id === undefined || PANDAS_NA_VALUES.has(id);
}

/**
 * Check a header row. Returns the index of the id and prediction columns, or the problem. For Signals a date column
 * (`friday_date`/`date`) is dropped first, as numerai-tools does.
 */
export function checkHeaders(
  header: readonly string[],
  rules: TournamentRules = 'classic',
  options: { requireDate?: boolean } = {},
): { ok: true; idIndex: number; predictionIndex: number; dateIndex: number | null } | { ok: false; problem: string } {
  const cols = COLUMNS[rules];
  let dateIndex: number | null = null;
  for (let i = 0; i < header.length; i++) {
    if (cols.date.includes(header[i])) {
      dateIndex = i;
      break;
    }
  }
  if (options.requireDate && dateIndex === null) return { ok: false, problem: MESSAGES.dateColumn };
  const rest = header.map((name, index) => ({ name, index })).filter((c) => c.index !== dateIndex);
  if (rest.length === 2 && cols.id.includes(rest[0].name) && cols.prediction.includes(rest[1].name)) {
    return { ok: true, idIndex: rest[0].index, predictionIndex: rest[1].index, dateIndex };
  }
  return { ok: false, problem: MESSAGES.headers(cols.id, cols.prediction) };
}

/**
 * Check ids and prediction values against the live ids (Classic rules unless `options.rules` says otherwise:
 * Signals and Crypto need at least 100 live tickers instead of every live id).
 */
export function checkSubmission(
  ids: readonly string[],
  predictions: ArrayLike<number>,
  liveIds: readonly string[],
  options: { rules?: TournamentRules; idColumn?: string } = {},
): SubmissionCheck {
  const rules = options.rules ?? 'classic';
  const idCol = options.idColumn ?? COLUMNS[rules].id[0];
  if (ids.length !== predictions.length) {
    throw new Error(`checkSubmission: ${ids.length} ids but ${predictions.length} predictions`);
  }
  const problems: string[] = [];
  const live = new Set(liveIds);

  // ids
  let nanIds = false;
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const extra = new Set<string>();
  const liveRows: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (isNaId(id)) {
      nanIds = true;
      continue;
    }
    if (!live.has(id)) {
      extra.add(id);
      continue;
    }
    liveRows.push(i);
    if (seen.has(id)) duplicates.add(id);
    else seen.add(id);
  }
  const missingIds = liveIds.filter((id) => !seen.has(id));
  const minIds = COLUMNS[rules].minIds === 'all' ? liveIds.length : (COLUMNS[rules].minIds as number);
  if (nanIds) problems.push(MESSAGES.nanIds(idCol));
  if (duplicates.size > 0) problems.push(MESSAGES.duplicateIds(idCol));
  // numerai-tools counts the rows of the live subset; without duplicates that is the number of distinct live ids.
  if (seen.size < minIds) problems.push(MESSAGES.notEnoughIds);

  // values, of the live rows (numerai-tools validates the filtered submission)
  const values: number[] = [];
  let nanValues = false;
  for (const i of liveRows) {
    const v = predictions[i];
    if (typeof v !== 'number' || Number.isNaN(v)) nanValues = true;
    else values.push(v);
  }
  if (nanValues) problems.push(MESSAGES.nanValues);
  if (values.length > 0 && !inRange(values)) problems.push(MESSAGES.range);
  if (isClose(0, sampleStd(values))) problems.push(MESSAGES.zeroStd);

  return { ok: problems.length === 0, problems, extraIds: [...extra], missingIds, duplicateIds: [...duplicates] };
}

/** numpy.isclose(a, b) with its defaults (rtol 1e-5, atol 1e-8); false when either is NaN. */
export function isClose(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

/** numerai-tools' range assertion, verbatim in logic. */
function inRange(values: readonly number[]): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const between = min >= 0 && max <= 1;
  const minClose0 = isClose(min, 0);
  const maxClose1 = isClose(max, 1);
  return between || (minClose0 && max <= 1) || (min >= 0 && maxClose1) || (minClose0 && maxClose1);
}

/** pandas' Series.std(): sample standard deviation (ddof 1); NaN for fewer than two values. */
export function sampleStd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return NaN;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return Math.sqrt(ss / (n - 1));
}

/** A Python list literal, as numerai-tools' f-string prints it: ['id'] or ['prediction', 'probability']. */
function pyList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/** Dataset listings and download URLs (numerapi `list_datasets`, `download_dataset`). Public: no Authorization header. */

import { NumeraiError, withContext } from './errors.js';
import type { GraphqlTransport } from './transport.js';

export const LIST_DATASETS_QUERY = `query($round: Int
      $tournament: Int) {
  listDatasets(round: $round
               tournament: $tournament)
}`;

export const DATASET_URL_QUERY = `query($filename: String!
      $round: Int
      $tournament: Int) {
  dataset(filename: $filename
          round: $round
          tournament: $tournament)
}`;

/**
 * The dataset files of a tournament as "<version>/<file>" paths; `round` undefined means the current round.
 *
 * Example: `await listDatasets(transport, 8)` → `['v5.3/features.json', 'v5.3/live.parquet', …]`
 */
export async function listDatasets(transport: GraphqlTransport, tournament: number, round?: number): Promise<string[]> {
  const data = await transport.query<{ listDatasets: unknown }>(
    LIST_DATASETS_QUERY,
    { round: round ?? null, tournament },
    { operation: 'listDatasets', auth: false },
  );
  if (!Array.isArray(data.listDatasets) || !data.listDatasets.every((f) => typeof f === 'string')) {
    throw new NumeraiError('Numerai API call "listDatasets" answered without a list of file names.', {
      kind: 'protocol',
      operation: 'listDatasets',
    });
  }
  return data.listDatasets as string[];
}

/**
 * A signed URL from which one dataset file can be fetched with a plain GET; `round` undefined means the current round.
 *
 * Example: `await datasetUrl(transport, 'v5.3/live.parquet', undefined, 8)` → `'https://numerai-datasets.s3…'`
 */
export async function datasetUrl(
  transport: GraphqlTransport,
  filename: string,
  round: number | undefined,
  tournament: number,
): Promise<string> {
  const where = `"${filename}" of tournament ${tournament}${round === undefined ? '' : `, round ${round}`}`;
  const data = await transport
    .query<{ dataset: unknown }>(DATASET_URL_QUERY, { filename, round: round ?? null, tournament }, { operation: 'dataset', auth: false })
    .catch((error: unknown) => {
      throw withContext(error, `dataset ${where}`);
    });
  const url = data.dataset;
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    throw new NumeraiError(
      url === null || url === undefined
        ? `Numerai has no dataset file ${where}. Use a name from listDatasets, e.g. "v5.3/live.parquet".`
        : `Numerai API call "dataset" answered with something that is not a URL for ${where}.`,
      { kind: url === null || url === undefined ? 'not-found' : 'protocol', operation: 'dataset' },
    );
  }
  return url;
}

/**
 * The live file, whatever its format: Numerai publishes parquet; CSV is accepted for files a user prepared
 * (e.g. exported from pandas with `to_csv`). The format is chosen by the file extension.
 */
import path from 'node:path';
import { readCsvTable } from './csv.js';
import { DataError } from './errors.js';
import { readParquetTable } from './parquet.js';
import type { ReadTableOptions } from './parquet.js';
import type { FeatureTable } from './table.js';

export const LIVE_FILE_EXTENSIONS = ['.parquet', '.csv'] as const;

export async function readLiveTable(file: string, columns: readonly string[], options: ReadTableOptions = {}): Promise<FeatureTable> {
  const extension = path.extname(file).toLowerCase();
  switch (extension) {
    case '.parquet':
      return readParquetTable(file, columns, options);
    case '.csv':
      return readCsvTable(file, columns, options);
    default:
      throw new DataError(
        file,
        `unsupported live file format "${extension || '(no extension)'}"; expected one of ${LIVE_FILE_EXTENSIONS.join(', ')}`,
      );
  }
}

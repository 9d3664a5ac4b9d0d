/** How the pipeline files a client failure in its report (src/pipeline/report.ts ErrorClass). */

import { DownloadError } from '../data/download.js';
import type { ErrorClass } from '../pipeline/report.js';
import { NumeraiError } from './errors.js';

const DATA_OPERATIONS = new Set(['dataset', 'listDatasets']);
const UPLOAD_OPERATIONS = new Set(['upload', 'create_submission', 'createSignalsSubmission', 'submission_upload_auth', 'submissionUploadSignalsAuth']);

export function errorClassOf(error: unknown): ErrorClass {
  if (error instanceof DownloadError) {
    return error.transient || error.kind === 'timeout' ? 'NetworkError' : 'DataError';
  }
  if (!(error instanceof NumeraiError)) return 'InternalError';
  switch (error.kind) {
    case 'auth':
    case 'permission':
      return 'AccountError';
    case 'validation':
      return 'InternalError';
    case 'not-found':
    case 'not-open':
    case 'rejected':
      if (UPLOAD_OPERATIONS.has(error.operation)) return 'SubmissionRejected';
      return DATA_OPERATIONS.has(error.operation) ? 'DataError' : 'AccountError';
    case 'rate-limit':
    case 'server':
    case 'network':
    case 'timeout':
    case 'protocol':
    case 'ambiguous':
      return 'NetworkError';
  }
}

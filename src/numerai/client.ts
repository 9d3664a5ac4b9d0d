/**
 * NumeraiClient: the NumeraiPort adapter. Holds one transport (endpoint, keys, timeout, retry policy) and exposes one
 * method per operation; each operation lives in its own module with its GraphQL text.
 */

import { downloadFile, DEFAULT_TOTAL_TIMEOUT_MS, type DownloadError, type DownloadResult } from '../data/download.js';
import type { AccountModel, NumeraiPort, Round, RoundScoring, ScoresPort, SubmissionRecord, SubmissionScore } from '../pipeline/ports.js';
import type { ErrorClass } from '../pipeline/report.js';
import { NUMERAI_API_URL, type PipelineSettings } from '../pipeline/settings.js';
import { datasetUrl, listDatasets } from './datasets.js';
import { errorClassOf } from './error-class.js';
import type { NumeraiError } from './errors.js';
import { accountModels } from './models.js';
import type { RetryPolicy } from '../http/retry.js';
import { currentRound, listRounds, upcomingRound } from './rounds.js';
import { modelSubmissions, submissionForRound, submissionHistory, type SubmissionSummary } from './submissions.js';
import { roundScoring } from './round-score-configs.js';
import { submissionScores, type SubmissionScoresOptions } from './submission-scores.js';
import { GraphqlTransport, type Credentials } from './transport.js';
import { uploadPredictions, type UploadInput } from './upload.js';

export interface ClientRetryEvent {
  /** The GraphQL root field, "upload" for the signed PUT, or "download". */
  operation: string;
  attempt: number;
  delayMs: number;
  error: NumeraiError | DownloadError;
}

export interface NumeraiClientOptions extends Partial<RetryPolicy> {
  /** Default: the real endpoint, https://api-tournament.numer.ai */
  apiUrl?: string;
  /** Needed for account, submissions and uploads; rounds and datasets work without. */
  credentials?: Credentials;
  /** Timeout of one API request; also the idle timeout of downloads. Default 60 s. */
  timeoutMs?: number;
  /** Total timeout of one dataset download. Default 30 min. */
  downloadTimeoutMs?: number;
  /** Told about every retry (of API calls, uploads and downloads), e.g. to log it. */
  onRetry?: (event: ClientRetryEvent) => void;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

export class NumeraiClient implements NumeraiPort, ScoresPort {
  readonly transport: GraphqlTransport;
  private readonly options: NumeraiClientOptions;

  constructor(options: NumeraiClientOptions = {}) {
    const { credentials, ...rest } = options;
    // Keep the keys only inside the transport, so logging or serialising the client never shows them.
    this.options = rest;
    this.transport = new GraphqlTransport({
      ...rest,
      apiUrl: options.apiUrl ?? NUMERAI_API_URL,
      credentials,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      onRetry: options.onRetry,
    });
  }

  currentRound(tournament: number): Promise<Round | null> {
    return currentRound(this.transport, tournament);
  }

  upcomingRound(tournament: number): Promise<Round | null> {
    return upcomingRound(this.transport, tournament);
  }

  recentRounds(tournament: number, limit: number): Promise<Round[]> {
    return listRounds(this.transport, tournament, { limit });
  }

  submissionHistory(modelId: string): Promise<SubmissionRecord[]> {
    return submissionHistory(this.transport, modelId);
  }

  accountModels(tournament: number): Promise<AccountModel[]> {
    return accountModels(this.transport, tournament);
  }

  submissionForRound(modelId: string, round: number, tournament: number): Promise<string | null> {
    return submissionForRound(this.transport, modelId, round, tournament);
  }

  modelSubmissions(modelId: string): Promise<SubmissionSummary[]> {
    return modelSubmissions(this.transport, modelId);
  }

  listDatasets(tournament: number, round?: number): Promise<string[]> {
    return listDatasets(this.transport, tournament, round);
  }

  datasetUrl(filename: string, round: number | undefined, tournament: number): Promise<string> {
    return datasetUrl(this.transport, filename, round, tournament);
  }

  async download(url: string, destination: string, onProgress?: (received: number, total: number | null) => void): Promise<void> {
    await this.downloadFile(url, destination, onProgress);
  }

  /** Like download, and tells whether anything was fetched and the file's size. */
  downloadFile(url: string, destination: string, onProgress?: (received: number, total: number | null) => void): Promise<DownloadResult> {
    const { onRetry, timeoutMs, downloadTimeoutMs, ...policy } = this.options;
    return downloadFile(url, destination, {
      ...policy,
      onProgress,
      idleTimeoutMs: timeoutMs ?? DEFAULT_TIMEOUT_MS,
      totalTimeoutMs: downloadTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
      onRetry: onRetry && ((event) => onRetry({ operation: 'download', ...event })),
      // A signed-URL host may echo the request back; the download's errors get the same masking as the API's.
      redact: this.transport.redact,
    });
  }

  submissionScores(modelId: string, tournament: number, options: SubmissionScoresOptions): Promise<SubmissionScore[]> {
    return submissionScores(this.transport, modelId, tournament, options);
  }

  roundScoring(tournament: number, rounds: readonly number[]): Promise<RoundScoring[]> {
    return roundScoring(this.transport, tournament, rounds);
  }

  uploadPredictions(input: UploadInput): Promise<string> {
    return uploadPredictions(this.transport, input);
  }

  /** The report's error class of a failure of this client ('InternalError' for anything else). */
  errorClassOf(error: unknown): ErrorClass {
    return errorClassOf(error);
  }
}

/** The client a shell builds from the run's settings (keys are used only when both are given). */
export function createNumeraiClient(
  settings: Pick<PipelineSettings, 'apiUrl' | 'publicId' | 'secretKey' | 'requestTimeoutMs' | 'retries'>,
  extra: Omit<NumeraiClientOptions, 'apiUrl' | 'credentials' | 'timeoutMs' | 'retries'> = {},
): NumeraiClient {
  const credentials = settings.publicId && settings.secretKey ? { publicId: settings.publicId, secretKey: settings.secretKey } : undefined;
  return new NumeraiClient({
    ...extra,
    apiUrl: settings.apiUrl,
    credentials,
    timeoutMs: settings.requestTimeoutMs,
    retries: settings.retries,
  });
}

/** One log line for a retry, e.g. `rounds: attempt 1 failed (…HTTP 503…); retrying in 1.2 s`. */
export function describeRetry(event: ClientRetryEvent): string {
  return `${event.operation}: attempt ${event.attempt} failed (${event.error.message}); retrying in ${(event.delayMs / 1000).toFixed(1)} s`;
}

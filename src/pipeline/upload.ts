import { messageOf } from '../data/errors.js';
import { PipelineError, classifyError, isAmbiguousUploadFailure } from './errors.js';
import type { Clock, NumeraiPort, Reporter } from './ports.js';
import type { PipelineSettings } from './settings.js';

export interface UploadRequest {
  model: string;
  modelId: string;
  round: number;
  tournament: number;
  filename: string;
  csv: Uint8Array;
  /** The model's submission for this round before this run (under `force`), so a new one can be told from it. */
  existingSubmissionId: string | null;
  /** The trigger id of Numerai's round-open webhook call that started the run, passed back with the submission. */
  triggerId: string | null;
}

export interface UploadOutcome {
  submissionId: string;
  attempts: number;
  /** True when the id came from asking the server after an ambiguous failure. */
  recovered: boolean;
}

/** Delay before the n-th re-upload after an ambiguous failure (the client already retried its own transient errors). */
export function reuploadDelayMs(attempt: number): number {
  return Math.min(30_000, 2_000 * 2 ** (attempt - 1));
}

/** The part of the run context (context.ts) that an upload uses. */
export interface UploadContext {
  readonly ports: { numerai: NumeraiPort; clock: Clock; reporter: Reporter };
  /** `retries`: how many times an upload that did not land is sent again. */
  readonly settings: Pick<PipelineSettings, 'retries'>;
}

/**
 * Upload auth → PUT → create_submission, never submitting twice: when create_submission fails ambiguously (a timeout,
 * a reset, a 5xx after the request was sent) the server is asked whether the submission landed before any retry.
 * Other failures are final here: the client retried whatever was safe to retry.
 */
export async function uploadOnce(run: UploadContext, request: UploadRequest): Promise<UploadOutcome> {
  const { numerai, clock, reporter } = run.ports;
  const { retries } = run.settings;
  for (let attempt = 1; ; attempt++) {
    try {
      const submissionId = await numerai.uploadPredictions({
        modelId: request.modelId,
        tournament: request.tournament,
        filename: request.filename,
        csv: request.csv,
        ...(request.triggerId ? { triggerId: request.triggerId } : {}),
      });
      return { submissionId, attempts: attempt, recovered: false };
    } catch (error) {
      if (!isAmbiguousUploadFailure(error)) throw error;
      reporter.log('warning', `${request.model}: ${messageOf(error)}; asking Numerai whether the submission landed.`, { model: request.model });
      let landed: string | null;
      try {
        landed = await numerai.submissionForRound(request.modelId, request.round, request.tournament);
      } catch (checkError) {
        throw new PipelineError(
          classifyError(checkError, 'NetworkError', numerai),
          `the upload may or may not have been applied (${messageOf(error)}), and asking Numerai failed too ` +
            `(${messageOf(checkError)}); a rerun checks again before uploading`,
        );
      }
      if (landed && landed !== request.existingSubmissionId) {
        reporter.log('info', `${request.model}: the submission had landed (${landed}); not uploading again.`, { model: request.model });
        return { submissionId: landed, attempts: attempt, recovered: true };
      }
      if (attempt > retries) {
        throw new PipelineError('NetworkError', `upload failed ${attempt} times without landing; last failure: ${messageOf(error)}`);
      }
      reporter.log('info', `${request.model}: the submission did not land; uploading again (attempt ${attempt + 1}).`, { model: request.model });
      await clock.sleep(reuploadDelayMs(attempt));
    }
  }
}

/**
 * The sandbox's side of Numerai's webhook: when a round opens, a POST to every model's registered webhook; on
 * `triggerModelWebhook`, one POST to that model's. Each call and its answer is recorded.
 *
 * What Numerai sends, as numerai-cli's receiving functions read it: a JSON body with `roundNumber`, `dataVersion`
 * and `triggerId` (the functions use only `triggerId`), and an answer of HTTP 200 means "received" (numerai-cli's
 * Azure function turns its 202 into a 200 for that reason). Numerai's timeout is not published; the sandbox waits
 * `timeoutMs` (10 s by default).
 */
import { randomUUID } from 'node:crypto';
import type { SandboxModel } from '../accounts/keys.js';
import { iso } from '../rounds/clock.js';

/** One call to a model's webhook, and how it was answered. */
export interface WebhookCall {
  /** The trigger id sent; a submission that answers this call passes it back as create_submission's triggerId. */
  triggerId: string;
  modelId: string;
  modelName: string;
  url: string;
  round: number;
  /** round-open: a round opened; trigger: triggerModelWebhook. */
  cause: 'round-open' | 'trigger';
  /** The JSON body, exactly as sent. */
  body: string;
  /** ISO-8601 UTC, no fractional seconds. */
  sentAt: string;
  /** The answer's HTTP status; 0 when none came (refused, timed out, not a URL). */
  status: number;
  /** The answer's body (its first 2,000 characters), or what went wrong when there was no answer. */
  answer: string;
  /** Numerai takes only a 200 as received. */
  ok: boolean;
  ms: number;
}

const ANSWER_CHARS = 2000;
/** Numerai's body as the forum (2022) showed it; dataVersion is an internal number the receivers ignore. */
const DATA_VERSION = 1;

export class WebhookDeliveries {
  readonly calls: WebhookCall[] = [];
  private readonly pending = new Set<Promise<WebhookCall>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {}

  /** A round opened: call every model that has a webhook, all at once, without waiting for the answers. */
  roundOpened(round: number, models: SandboxModel[]): void {
    for (const model of models) {
      if (model.webhook && !model.managedByModelUploads) void this.send(model, round, 'round-open');
    }
  }

  /** POST Numerai's body to the model's webhook and record the answer. Never throws: failures are recorded. */
  send(model: SandboxModel, round: number, cause: WebhookCall['cause']): Promise<WebhookCall> {
    const call = this.deliver(model, model.webhook ?? '', round, cause);
    this.pending.add(call);
    void call.finally(() => this.pending.delete(call));
    return call;
  }

  /** Resolves when every call under way has its answer (or has failed). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The sandbox is closing: calls still waiting for an answer end now. */
  close(): void {
    this.abort.abort();
  }

  private async deliver(model: SandboxModel, url: string, round: number, cause: WebhookCall['cause']): Promise<WebhookCall> {
    const triggerId = randomUUID();
    const body = JSON.stringify({ roundNumber: round, dataVersion: DATA_VERSION, triggerId });
    const started = Date.now();
    const call: WebhookCall = { triggerId, modelId: model.id, modelName: model.name, url, round, cause, body, sentAt: iso(this.now()), status: 0, answer: '', ok: false, ms: 0 };
    this.calls.push(call);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
        redirect: 'manual',
      });
      call.status = response.status;
      call.answer = (await response.text()).slice(0, ANSWER_CHARS);
      call.ok = response.status === 200;
    } catch (error) {
      call.answer = describe(error, this.timeoutMs);
    }
    call.ms = Date.now() - started;
    return call;
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (error instanceof Error && error.name === 'AbortError') return 'the sandbox closed before the answer came';
  if (error instanceof TypeError && /invalid url|failed to parse url/i.test(error.message)) return 'not a URL';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The sandbox's world, shared by the parts of its API: accounts and models, the round clock, the dataset files,
 * pending uploads, recorded submissions and diagnostics, the calls made to webhooks. The parts (accounts/, rounds/, datasets/, submissions/,
 * webhooks/, scores/) read and change it; the HTTP side (server.ts, transfers.ts) serves its files.
 */
import { authenticate, type AuthResult, type SandboxAccount, type SandboxModel } from './accounts/keys.js';
import type { DataStore } from './datasets/files.js';
import type { RoundClock } from './rounds/clock.js';
import type { SandboxScores } from './scores/history.js';
import type { UrlSigner } from './signing.js';
import type { RecordedSubmission } from './types.js';
import { WebhookDeliveries } from './webhooks/deliver.js';

/** A file announced by an upload-auth query: PUT to its signed URL fills `bytes`. */
export interface Upload {
  filename: string;
  kind: 'submission' | 'signals' | 'diagnostics' | 'pickle';
  modelId: string;
  tournament: number;
  bytes: Uint8Array | null;
}

export interface StoredSubmission extends RecordedSubmission {
  /** Seeded history (previous rounds), not recorded by create_submission. */
  history: boolean;
  /** Order of recording (ties of insertedAt, which has whole seconds). */
  seq: number;
}

export interface StoredDiagnostics {
  id: string;
  modelId: string;
  filename: string;
  insertedAt: string;
}

export interface WorldOptions {
  accounts: SandboxAccount[];
  clock: RoundClock;
  data: DataStore;
  signer: UrlSigner;
  now: () => number;
  /** Validation messages of create_submission: numerai-tools' or the older sentences of 2021–2022. */
  messageStyle: 'tools' | 'legacy';
  /** How long a call to a model's webhook waits for its answer. */
  webhookTimeoutMs: number;
  /** The models' round scores and the rounds' score configurations. */
  scores: SandboxScores;
}

export class SandboxWorld {
  readonly accounts: SandboxAccount[];
  readonly clock: RoundClock;
  readonly data: DataStore;
  readonly signer: UrlSigner;
  readonly now: () => number;
  readonly messageStyle: 'tools' | 'legacy';
  readonly scores: SandboxScores;
  readonly uploads = new Map<string, Upload>();
  readonly stored: StoredSubmission[] = [];
  readonly diagnostics = new Map<string, StoredDiagnostics>();
  /** Calls to the models' webhooks (round openings and triggerModelWebhook) and their answers. */
  readonly webhooks: WebhookDeliveries;
  private sequence = 0;

  constructor(options: WorldOptions) {
    this.accounts = options.accounts;
    this.clock = options.clock;
    this.data = options.data;
    this.signer = options.signer;
    this.now = options.now;
    this.messageStyle = options.messageStyle;
    this.webhooks = new WebhookDeliveries(options.now, options.webhookTimeoutMs);
    this.scores = options.scores;
  }

  authenticate(header: string | undefined): AuthResult {
    return authenticate(header, this.accounts);
  }

  allModels(): SandboxModel[] {
    return this.accounts.flatMap((a) => a.models);
  }

  modelByName(name: string): SandboxModel {
    const matches = this.accounts[0].models.filter((m) => m.name === name);
    const found = matches[0] ?? this.allModels().find((m) => m.name === name);
    if (!found) throw new Error(`sandbox: no model named ${name} (models: ${this.allModels().map((m) => m.name).join(', ')})`);
    return found;
  }

  /** The next recording order number (see StoredSubmission.seq). */
  nextSequence(): number {
    return this.sequence++;
  }
}

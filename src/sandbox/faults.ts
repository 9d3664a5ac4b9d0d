/**
 * Fault injection: per operation (a GraphQL root field in any spelling, or 'download' / 'upload'), a queue of faults,
 * each applied to the next `times` (default 1) matching requests, first injected first.
 */
import { canonicalOperation } from './schema.js';
import type { Fault } from './types.js';

export const HTTP_OPERATIONS = ['download', 'upload'] as const;

/** The canonical name of an operation as tests name it; throws for a name the sandbox does not serve. */
export function normalizeOperation(operation: string): string {
  if ((HTTP_OPERATIONS as readonly string[]).includes(operation)) return operation;
  const canonical = canonicalOperation(operation);
  if (!canonical) throw new Error(`sandbox: no operation named ${JSON.stringify(operation)} (a GraphQL root field, 'download' or 'upload')`);
  return canonical;
}

function validate(operation: string, fault: Fault): void {
  const times = fault.times ?? 1;
  if (!(Number.isInteger(times) && times >= 1) && times !== Infinity) throw new Error(`sandbox: fault times must be a positive integer or Infinity, got ${times}`);
  switch (fault.kind) {
    case 'http':
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) throw new Error(`sandbox: bad HTTP status ${fault.status}`);
      break;
    case 'rate-limit':
      if (!(fault.retryAfterSeconds >= 0)) throw new Error('sandbox: retryAfterSeconds must be >= 0');
      break;
    case 'slow':
      if (!(fault.delayMs >= 0)) throw new Error('sandbox: delayMs must be >= 0');
      break;
    case 'applied-response-lost':
      if (operation !== 'create_submission' && operation !== 'createSignalsSubmission' && operation !== 'upload') {
        throw new Error(`sandbox: 'applied-response-lost' applies to create_submission, createSignalsSubmission or upload, not ${operation}`);
      }
      break;
    case 'hang':
    case 'reset':
    case 'non-json':
    case 'graphql-400':
      break;
    default:
      throw new Error(`sandbox: unknown fault kind ${JSON.stringify((fault as { kind: unknown }).kind)}`);
  }
}

interface Pending {
  fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private readonly queues = new Map<string, Pending[]>();

  inject(operation: string, fault: Fault): void {
    const op = normalizeOperation(operation);
    validate(op, fault);
    const q = this.queues.get(op) ?? [];
    q.push({ fault, remaining: fault.times ?? 1 });
    this.queues.set(op, q);
  }

  clear(): void {
    this.queues.clear();
  }

  /** The fault for the next request touching any of these operations (consumed), or null. */
  take(operations: readonly string[]): Fault | null {
    for (const op of operations) {
      const q = this.queues.get(op);
      if (!q || q.length === 0) continue;
      const head = q[0];
      head.remaining -= 1;
      if (head.remaining <= 0) q.shift();
      return head.fault;
    }
    return null;
  }
}

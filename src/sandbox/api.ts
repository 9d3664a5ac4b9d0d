/**
 * The parts of the sandbox's GraphQL API, one per concern, each with its schema text and resolvers (see part.ts).
 * A new operation goes into the part of its concern; a new concern gets its own folder and a line here. The order
 * is the order of the types and root fields in the schema.
 */
import { accountsApi } from './accounts/api.js';
import { datasetsApi } from './datasets/api.js';
import type { ApiPart } from './part.js';
import { roundsApi } from './rounds/api.js';
import { scoresApi } from './scores/api.js';
import { computePickleApi } from './submissions/compute-pickle.js';
import { diagnosticsApi } from './submissions/diagnostics.js';
import { submissionsApi } from './submissions/api.js';
import { webhooksApi } from './webhooks/api.js';

export const API_PARTS: readonly ApiPart[] = [
  roundsApi,
  accountsApi,
  datasetsApi,
  submissionsApi,
  diagnosticsApi,
  computePickleApi,
  webhooksApi,
  scoresApi,
];

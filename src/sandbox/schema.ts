/**
 * The GraphQL schema of the sandbox: the part of Numerai's API (an Elixir/Absinthe server, root types
 * `RootQueryType` and `RootMutationType`) that numerapi and this project use, with the real field and argument names.
 *
 * Absinthe's default naming adapter turns incoming camelCase names into snake_case, so the real API takes both
 * spellings of a field or argument (numerapi itself sends `submission_upload_auth` and `public_id` next to
 * `listDatasets` and `modelId`). graphql-js has no adapter, so `buildSandboxSchema` adds the other spelling of every
 * field and of every optional argument. Required arguments keep their one spelling, so that graphql-js still
 * rejects a query that omits them.
 */
import {
  buildASTSchema,
  Kind,
  parse,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  type InputValueDefinitionNode,
  type ObjectTypeDefinitionNode,
} from 'graphql';

/** Root fields as numerapi spells them (the canonical operation names of the sandbox). */
export const SDL = /* GraphQL */ `
schema { query: RootQueryType mutation: RootMutationType }

enum RoundStatus { UPCOMING OPEN RESOLVING RESOLVED }

type RootQueryType {
  rounds(tournament: Int, number: Int, target: String, status: RoundStatus, limit: Int): [Round]
  tournaments: [Tournament]
  account: Account
  model(modelId: String): Model
  submissions(modelId: String, tournament: Int): [Submission]
  listDatasets(round: Int, tournament: Int): [String]
  dataset(filename: String!, round: Int, tournament: Int): String
  submission_upload_auth(filename: String!, tournament: Int!, modelId: String): UploadAuth
  submissionUploadSignalsAuth(filename: String!, tournament: Int, modelId: String): UploadAuth
  diagnosticsUploadAuth(filename: String!, tournament: Int, modelId: String): UploadAuth
  submissionDownloadAuth(id: String!): UploadAuth
  diagnostics(id: String, modelId: String!): Diagnostics
  accountProfile(username: String!, tournament: Int): AccountProfile
  computePickleUploadAuth(filename: String!, modelId: String!): UploadAuth
  computePickleDataVersions: [ComputePickleOption]
  computePickleDockerImages: [ComputePickleOption]
}

type RootMutationType {
  create_submission(filename: String!, tournament: Int!, modelId: String, triggerId: String, source: String, dataDatestamp: Int): Submission
  createSignalsSubmission(filename: String!, modelId: String, triggerId: String, source: String, dataDatestamp: Int): Submission
  createDiagnostics(filename: String!, tournament: Int!, modelId: String): Diagnostics
  setSubmissionWebhook(modelId: String!, newSubmissionWebhook: String): String
  triggerModelWebhook(modelId: String!): String
  createComputePickleUpload(filename: String!, tournament: Int, modelId: String!, dataVersionId: String, dockerImageId: String): ComputePickleUpload
}

type Tournament { id: String name: String tournament: Int active: Boolean }

type Round {
  id: String
  tournament: Int
  number: Int
  target: String
  openTime: String
  closeStakingTime: String
  closeTime: String
  scoreTime: String
  resolveTime: String
  resolvedGeneral: Boolean
  resolvedStaking: Boolean
  payoutFactor: String
  stakeThreshold: String
  dataDatestamp: Int
  minCorrMultiplier: Float
  maxCorrMultiplier: Float
  defaultCorrMultiplier: Float
  minMmcMultiplier: Float
  maxMmcMultiplier: Float
  defaultMmcMultiplier: Float
  roundScoreConfigs: [RoundScoreConfig]
}

type RoundScoreConfig {
  id: String
  scoreConfigId: String
  roundNumberStart: Int
  roundNumberEnd: Int
  name: String
  version: Int
  displayName: String
  totalScoreDays: Int
  returnsLagDays: Int
  dataDelayDays: Int
  universe: String
  isCanonScore: Boolean
  isPayout: Boolean
  scoringStart: String
  scoringEnd: String
  minMultiplier: Float
  maxMultiplier: Float
  defaultMultiplier: Float
  clipThreshold: Float
  stakeThreshold: String
  payoutFactor: String
}

type Account {
  id: String
  username: String
  email: String
  walletAddress: String
  availableNmr: String
  mfaEnabled: Boolean
  status: String
  insertedAt: String
  models: [Model]
  apiTokens: [ApiToken]
}

type ApiToken { name: String public_id: String scopes: [String] }

type Model {
  id: String
  name: String
  username: String
  displayName: String
  tournament: Int
  insertedAt: String
  submissions: [Submission]
  latestSubmissions: [LatestSubmission]
  v2Stake: Stake
  submissionWebhook: String
}

type Stake { status: String txHash: String }

type Submission {
  id: String
  filename: String
  insertedAt: String
  triggerId: String
  selected: Boolean
  source: String
  dataDatestamp: Int
  firstEffectiveDate: String
  round: Round
}

type LatestSubmission {
  roundNumber: Int
  roundOpen: String
  roundCloseStaking: String
  roundClose: String
  filename: String
  status: String
  timestamp: String
}

type UploadAuth { filename: String url: String }

type AccountProfile { username: String models: [ProfileModel] }

type ProfileModel { id: String displayName: String username: String tournament: Int }

type Diagnostics {
  id: String
  status: String
  message: String
  updatedAt: String
  erasAcceptedCount: Int
  trainedOnVal: Boolean
  examplePredsCorrMean: Float
  validationCorrMean: Float
  validationCorrSharpe: Float
  validationCorrStd: Float
  validationMmcMean: Float
  validationMaxDrawdown: Float
  validationFeatureNeutralCorrMean: Float
}

type ComputePickleOption { id: String name: String }

type ComputePickleUpload { id: String filename: String }
`;

/** camelCase → snake_case the way Elixir's Macro.underscore does it (v2Stake → v2_stake, modelId → model_id). */
export function toSnake(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** snake_case → camelCase (public_id → publicId, create_submission → createSubmission). */
export function toCamel(name: string): string {
  return name.replace(/_([a-z\d])/g, (_m, c: string) => c.toUpperCase());
}

function otherSpelling(name: string): string | null {
  const other = name.includes('_') ? toCamel(name) : toSnake(name);
  return other === name ? null : other;
}

/** Names that exist only as the added other spelling (kept out of "Did you mean" suggestions). */
export const ADDED_SPELLINGS = new Set<string>();
const DECLARED = new Set<string>();

/** Add the other spelling of every field and optional argument, as Absinthe's naming adapter accepts both. */
function withBothSpellings(doc: DocumentNode): DocumentNode {
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const f of def.fields ?? []) {
      DECLARED.add(f.name.value);
      for (const a of f.arguments ?? []) DECLARED.add(a.name.value);
    }
  }
  const definitions = doc.definitions.map((def) => {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !def.fields) return def;
    const fields: FieldDefinitionNode[] = [];
    const names = new Set(def.fields.map((f) => f.name.value));
    for (const field of def.fields) {
      const args = withArgumentSpellings(field.arguments ?? []);
      const f: FieldDefinitionNode = { ...field, arguments: args };
      fields.push(f);
      const other = otherSpelling(field.name.value);
      if (other && !names.has(other)) {
        names.add(other);
        if (!DECLARED.has(other)) ADDED_SPELLINGS.add(other);
        fields.push({ ...f, name: { ...f.name, value: other } });
      }
    }
    return { ...def, fields } as ObjectTypeDefinitionNode;
  });
  return { ...doc, definitions };
}

function withArgumentSpellings(args: readonly InputValueDefinitionNode[]): InputValueDefinitionNode[] {
  const out: InputValueDefinitionNode[] = [...args];
  const names = new Set(args.map((a) => a.name.value));
  for (const arg of args) {
    if (arg.type.kind === Kind.NON_NULL_TYPE) continue;
    const other = otherSpelling(arg.name.value);
    if (other && !names.has(other)) {
      names.add(other);
      if (!DECLARED.has(other)) ADDED_SPELLINGS.add(other);
      out.push({ ...arg, name: { ...arg.name, value: other } });
    }
  }
  return out;
}

/** The root fields by their canonical (numerapi) spelling. */
export const ROOT_FIELDS: readonly string[] = (() => {
  const doc = parse(SDL);
  const names: string[] = [];
  for (const def of doc.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION && (def.name.value === 'RootQueryType' || def.name.value === 'RootMutationType')) {
      for (const f of def.fields ?? []) names.push(f.name.value);
    }
  }
  return names;
})();

const CANONICAL = new Map<string, string>();
for (const name of ROOT_FIELDS) {
  CANONICAL.set(name, name);
  const other = otherSpelling(name);
  if (other) CANONICAL.set(other, name);
}

/**
 * The canonical operation name of a root field as a client spells it (createSubmission → create_submission,
 * list_datasets → listDatasets), or null when the API has no such field.
 */
export function canonicalOperation(name: string): string | null {
  return CANONICAL.get(name) ?? null;
}

/** The argument value whichever spelling the client used (modelId or model_id). */
export function arg<T>(args: Record<string, unknown>, name: string): T | undefined {
  if (args[name] !== undefined && args[name] !== null) return args[name] as T;
  const other = otherSpelling(name);
  if (other && args[other] !== undefined && args[other] !== null) return args[other] as T;
  return args[name] === null || (other !== null && args[other] === null) ? (null as T) : undefined;
}

export function buildSandboxSchema(): GraphQLSchema {
  return buildASTSchema(withBothSpellings(parse(SDL)));
}

/**
 * The JSON schema of model.yml, validated with ajv, and the translation of ajv's errors into sentences a
 * participant can act on: the field in path notation, what is wrong, and what would be valid.
 *
 * Unions (a string or a list, a string or a mapping) are written as if/then/else on the JSON type rather than
 * oneOf: oneOf reports a failure of every branch, while if/then/else reports only the branch the value took, so
 * `onnx[1].weight: must be a number` is not buried under "onnx must be a string".
 */
import { Ajv, type ErrorObject } from 'ajv';

/** The manifest's fields, for "unknown field" messages and did-you-mean suggestions. */
export const MANIFEST_FIELDS = [
  'dataset',
  'features',
  'onnx',
  'output',
  'postprocess',
  'tournament',
  'enabled',
  'fill_missing',
  'engine',
] as const;

export const POSTPROCESS_METHODS = ['rank', 'clip', 'none'] as const;
export type PostprocessMethod = (typeof POSTPROCESS_METHODS)[number];

/** auto: the tree kernel where it gives onnxruntime's predictions exactly (members.ts), else onnxruntime. */
export const ENGINE_CHOICES = ['auto', 'onnxruntime'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export const SUPPORTED_TOURNAMENTS = ['classic'] as const;
export type SupportedTournament = (typeof SUPPORTED_TOURNAMENTS)[number];

/** An output name with an optional column in brackets: "variable", "probabilities[1]". */
export const OUTPUT_SELECTOR_PATTERN = /^([^[\]\s]+)(?:\[(\d+)\])?$/;

/** Our own annotation: how to describe a valid value of this schema node in an error message. */
const EXPECTED = 'x-expected';

const outputSchema = {
  [EXPECTED]: 'an output name, optionally with a column, e.g. "variable" or "probabilities[1]"',
  if: { type: 'object' },
  then: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, [EXPECTED]: 'the name of one of the ONNX model outputs' },
      column: { type: 'integer', minimum: 0, [EXPECTED]: 'a column index (0, 1, ...) of a [N, C] output' },
    },
    [EXPECTED]: 'a mapping {name, column}',
  },
  else: {
    type: 'string',
    pattern: OUTPUT_SELECTOR_PATTERN.source,
    [EXPECTED]: 'an output name, optionally with a column, e.g. "variable" or "probabilities[1]"',
  },
};

const fileSchema = {
  type: 'string',
  minLength: 1,
  [EXPECTED]: 'the path of an ONNX file, relative to the model folder (e.g. model.onnx)',
};

const memberSchema = {
  [EXPECTED]: 'an ONNX file name or a mapping {file, weight}',
  if: { type: 'object' },
  then: {
    type: 'object',
    required: ['file'],
    additionalProperties: false,
    properties: {
      file: fileSchema,
      weight: { type: 'number', [EXPECTED]: 'a number (the weights are normalised by their sum)' },
      output: outputSchema,
    },
    [EXPECTED]: 'a mapping {file, weight}',
  },
  else: { ...fileSchema, [EXPECTED]: 'an ONNX file name or a mapping {file, weight}' },
};

export const manifestSchema = {
  type: 'object',
  required: ['dataset', 'features', 'onnx'],
  additionalProperties: false,
  [EXPECTED]: 'a mapping with the fields dataset, features and onnx',
  properties: {
    dataset: {
      type: 'string',
      pattern: '^v\\d+(\\.\\d+)*$',
      [EXPECTED]: 'the dataset version the model was trained on, e.g. v5.2 (quote it if YAML reads it as a number)',
    },
    features: {
      [EXPECTED]: "a feature set of the dataset's features.json (small, medium, all, ...) or an ordered list of feature names",
      if: { type: 'array' },
      then: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', minLength: 1, [EXPECTED]: 'a feature name, e.g. feature_xyz' },
        [EXPECTED]: 'a non-empty list of distinct feature names, in the order the model was trained on',
      },
      else: {
        type: 'string',
        minLength: 1,
        [EXPECTED]: "a feature set of the dataset's features.json (small, medium, all, ...) or an ordered list of feature names",
      },
    },
    onnx: {
      [EXPECTED]: 'an ONNX file name (e.g. model.onnx) or an ensemble [{file, weight}]',
      if: { type: 'array' },
      then: {
        type: 'array',
        minItems: 1,
        items: memberSchema,
        [EXPECTED]: 'a non-empty list of ensemble members [{file, weight}]',
      },
      else: { ...fileSchema, [EXPECTED]: 'an ONNX file name (e.g. model.onnx) or an ensemble [{file, weight}]' },
    },
    output: outputSchema,
    postprocess: { enum: [...POSTPROCESS_METHODS], [EXPECTED]: 'rank (default), clip or none' },
    tournament: {
      enum: [...SUPPORTED_TOURNAMENTS],
      [EXPECTED]: 'classic (the only tournament supported so far)',
    },
    enabled: { type: 'boolean', [EXPECTED]: 'true or false' },
    fill_missing: {
      type: 'number',
      [EXPECTED]: 'the number fed to the model for a missing feature value, e.g. 2 (the middle bin)',
    },
    engine: {
      enum: [...ENGINE_CHOICES],
      [EXPECTED]: 'auto (default: the tree kernel for a tree ensemble it runs exactly, onnxruntime for the rest) or onnxruntime (every file)',
    },
  },
};

/** The manifest as the schema guarantees it (before normalisation). */
export type OutputSelectorInput = string | { name: string; column?: number };
export type MemberInput = string | { file: string; weight?: number; output?: OutputSelectorInput };
export interface ManifestInput {
  dataset: string;
  features: string | string[];
  onnx: string | MemberInput[];
  output?: OutputSelectorInput;
  postprocess?: PostprocessMethod;
  tournament?: SupportedTournament;
  enabled?: boolean;
  fill_missing?: number;
  engine?: EngineChoice;
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, keywords: [EXPECTED] });
const validate = ajv.compile<ManifestInput>(manifestSchema);

export interface SchemaProblem {
  field: string | null;
  message: string;
}

/** Validates a parsed model.yml. Returns every problem, each once, in document order of the fields. */
export function validateManifest(document: unknown): { ok: true; value: ManifestInput } | { ok: false; problems: SchemaProblem[] } {
  if (validate(document)) return { ok: true, value: document };
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describeError(error);
    if (!problem) continue;
    const key = `${problem.field}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return { ok: false, problems };
}

/** "/onnx/0/weight" → "onnx[0].weight". */
export function fieldPath(instancePath: string, child?: string): string | null {
  const parts = instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let field = '';
  for (const part of parts) field += /^\d+$/.test(part) ? `[${part}]` : field === '' ? part : `.${part}`;
  return field === '' ? null : field;
}

function expectedOf(schema: unknown): string | undefined {
  if (schema && typeof schema === 'object' && EXPECTED in schema) return String((schema as Record<string, unknown>)[EXPECTED]);
  return undefined;
}

/** A value as it appears in a message: strings quoted, long ones cut. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value} ${String(value)}`;
}

function describeError(error: ErrorObject): SchemaProblem | null {
  const field = fieldPath(error.instancePath);
  const expected = expectedOf(error.parentSchema);
  switch (error.keyword) {
    case 'if':
      // The branch that failed reports the real problem.
      return null;
    case 'required': {
      const missing = String(error.params.missingProperty);
      const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      const what = expectedOf(properties?.[missing]);
      return { field: fieldPath(error.instancePath, missing), message: `is required${what ? `: ${what}` : ''}` };
    }
    case 'additionalProperties': {
      const unknown = String(error.params.additionalProperty);
      const properties = Object.keys((error.parentSchema as { properties?: Record<string, unknown> }).properties ?? {});
      const suggestion = closest(unknown, properties);
      return {
        field: fieldPath(error.instancePath, unknown),
        message: `is not a known field${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; valid fields: ${properties.join(', ')}`,
      };
    }
    case 'enum':
      return {
        field,
        message: `must be ${expected ?? (error.params.allowedValues as unknown[]).join(', ')} (got ${describeValue(error.data)})`,
      };
    case 'uniqueItems': {
      const { i, j } = error.params as { i: number; j: number };
      const list = error.data as unknown[];
      return {
        field,
        message: `lists ${describeValue(list[j])} twice (items ${j} and ${i}); each feature may appear once`,
      };
    }
    case 'minItems':
      return { field, message: `must not be empty: ${expected ?? 'give at least one item'}` };
    default:
      return { field, message: `must be ${expected ?? error.message ?? 'valid'} (got ${describeValue(error.data)})` };
  }
}

/** The candidate closest to `word` by edit distance, when it is close enough to be a likely typo. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

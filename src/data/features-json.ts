/**
 * features.json of a Numerai dataset version: the named feature sets (small, medium, all, …) and the targets.
 * Models name a feature set; this file turns the name into the ordered column list, so it is validated before use.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { DataError, fileAccessError, messageOf } from './errors.js';

export interface FeaturesJson {
  feature_sets: Record<string, string[]>;
  targets: string[];
}

const nameList = { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true } as const;

/** Other keys (e.g. feature_stats in some versions) are allowed and ignored. */
const schema = {
  type: 'object',
  required: ['feature_sets', 'targets'],
  properties: {
    feature_sets: { type: 'object', minProperties: 1, additionalProperties: { ...nameList, minItems: 1 } },
    targets: nameList,
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile<FeaturesJson>(schema);

function describe(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
  if (error.keyword === 'uniqueItems') {
    const { i, j } = error.params as { i: number; j: number };
    return `${where} lists the same name twice (items ${Math.min(i, j)} and ${Math.max(i, j)})`;
  }
  return `${where} ${error.message}`;
}

export async function readFeaturesJson(path: string): Promise<FeaturesJson> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fileAccessError(path, error, 'read');
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DataError(path, `not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  if (!validate(document)) {
    const problems = (validate.errors ?? []).slice(0, 5).map(describe).join('; ');
    throw new DataError(path, `not a Numerai features.json: ${problems}`);
  }
  return { feature_sets: document.feature_sets, targets: document.targets };
}

/** The ordered feature list of a named set, or a DataError naming the sets that exist. */
export function featureSet(featuresJson: FeaturesJson, name: string, file = 'features.json'): string[] {
  const set = Object.hasOwn(featuresJson.feature_sets, name) ? featuresJson.feature_sets[name] : undefined;
  if (!set) {
    throw new DataError(file, `has no feature set "${name}"; it has ${Object.keys(featuresJson.feature_sets).join(', ')}`);
  }
  return set;
}

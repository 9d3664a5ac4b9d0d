/**
 * The second phase of validation, against the dataset's features.json: the model's feature set or list resolved
 * to the ordered feature names it was trained on, and checked against the width of every ONNX input.
 */
import type { ModelConfigIssue } from './errors.js';
import type { LoadedModel } from './load.js';

/** What this module reads of features.json (src/data's FeaturesJson satisfies it). */
export interface FeatureSetsDocument {
  feature_sets: Record<string, string[]>;
}

export type ResolveFeaturesResult = { ok: true; features: string[] } | { ok: false; errors: ModelConfigIssue[] };

/** At most this many unknown feature names are reported one by one; the rest are counted. */
const MAX_LISTED_UNKNOWN = 10;

export function resolveFeatures(model: LoadedModel, featuresJson: FeatureSetsDocument): ResolveFeaturesResult {
  const errors: ModelConfigIssue[] = [];
  const issue = (file: string, field: string | null, message: string) => errors.push({ model: model.name, file, field, message });
  const source = `${model.dataset}/features.json`;
  const sets = featuresJson.feature_sets ?? {};

  let features: string[];
  if (model.features.kind === 'set') {
    const set = sets[model.features.name];
    if (!Array.isArray(set)) {
      issue(
        model.manifestPath,
        'features',
        `"${model.features.name}" is not a feature set of ${source}; valid: ${Object.keys(sets).join(', ') || '(none)'}, or an explicit list of feature names`,
      );
      return { ok: false, errors };
    }
    features = set;
  } else {
    features = model.features.names;
    const known = datasetFeatures(sets);
    const unknown = features.map((name, index) => ({ name, index })).filter(({ name }) => !known.has(name));
    for (const { name, index } of unknown.slice(0, MAX_LISTED_UNKNOWN)) {
      issue(model.manifestPath, `features[${index}]`, `"${name}" is not a feature of ${source} (${known.size} features)`);
    }
    if (unknown.length > MAX_LISTED_UNKNOWN) {
      issue(
        model.manifestPath,
        'features',
        `${unknown.length - MAX_LISTED_UNKNOWN} more listed features are not in ${source}; was the model trained on another dataset version?`,
      );
    }
  }

  for (const member of model.members) {
    const width = member.plan.width;
    if (width !== null && width !== features.length) {
      const what = model.features.kind === 'set' ? `the feature set "${model.features.name}" of ${source} has ${features.length}` : `features lists ${features.length}`;
      issue(
        member.file,
        member.field,
        `model input "${member.plan.inputName}" takes ${width} features per row, but ${what}; ` +
          'the model must be given exactly the features it was trained on, in training order',
      );
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, features };
}

/** Every feature of the dataset: the union of its sets (`all`, when present, already holds them all). */
function datasetFeatures(sets: Record<string, string[]>): Set<string> {
  const names = new Set<string>();
  for (const set of Object.values(sets)) if (Array.isArray(set)) for (const name of set) names.add(name);
  return names;
}

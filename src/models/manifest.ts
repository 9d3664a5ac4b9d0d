/**
 * model.yml: parsing (YAML), validation (the schema in manifest-schema.ts) and normalisation into the shape the
 * rest of the engine uses (defaults filled in, one list of ensemble members, output selectors split into
 * name and column).
 */
import { parseDocument } from 'yaml';
import {
  OUTPUT_SELECTOR_PATTERN,
  type EngineChoice,
  validateManifest,
  type ManifestInput,
  type OutputSelectorInput,
  type PostprocessMethod,
  type SchemaProblem,
  type SupportedTournament,
} from './manifest-schema.js';

/** Which output of an ONNX model is the prediction, and which column of it for [N, C] outputs. */
export interface OutputSelector {
  name: string;
  column: number | null;
}

export interface ManifestMember {
  /** As written in model.yml, relative to the model folder. */
  file: string;
  /** As written (default 1); normalised by the sum at load. */
  weight: number;
  /** This member's output, when it differs from the model's. */
  output: OutputSelector | null;
  /** The manifest field that names this member's file, for messages ("onnx" or "onnx[1].file"). */
  field: string;
}

export type FeatureSpec = { kind: 'set'; name: string } | { kind: 'list'; names: string[] };

export interface ModelManifest {
  dataset: string;
  features: FeatureSpec;
  members: ManifestMember[];
  output: OutputSelector | null;
  postprocess: PostprocessMethod;
  tournament: SupportedTournament;
  enabled: boolean;
  /** Fed to the model in place of a missing feature value; null: NaN is passed through. */
  fillMissing: number | null;
  /** True when onnx was a list (an ensemble), even of one member. */
  ensemble: boolean;
  /** Which engine may run the members: auto (the tree kernel where it can) or onnxruntime for every one. */
  engine: EngineChoice;
}

export type ManifestParseResult =
  | { ok: true; manifest: ModelManifest }
  /** `partial` holds the fields that were valid, so later checks can still run on them. */
  | { ok: false; problems: SchemaProblem[]; partial: Partial<ModelManifest> };

/** Parses and validates the text of a model.yml. */
export function parseManifest(text: string): ManifestParseResult {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      // The message's first line ends with "at line L, column C:"; the rest is a picture of the line.
      const message = error.message.split('\n')[0].replace(/:$/, '');
      return { field: null, message: `is not valid YAML: ${message}` };
    });
    return { ok: false, problems, partial: {} };
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) {
    return {
      ok: false,
      problems: [{ field: null, message: 'is empty; it needs at least the fields dataset, features and onnx' }],
      partial: {},
    };
  }
  const result = validateManifest(value);
  if (result.ok) return { ok: true, manifest: normalise(result.value) };
  return { ok: false, problems: result.problems, partial: validParts(value, result.problems) };
}

function outputSelector(input: OutputSelectorInput | undefined): OutputSelector | null {
  if (input === undefined) return null;
  if (typeof input === 'object') return { name: input.name, column: input.column ?? null };
  const match = OUTPUT_SELECTOR_PATTERN.exec(input);
  // The schema has already checked the pattern.
  return { name: match?.[1] ?? input, column: match?.[2] === undefined ? null : Number(match[2]) };
}

function normalise(input: ManifestInput): ModelManifest {
  const ensemble = Array.isArray(input.onnx);
  const members: ManifestMember[] = Array.isArray(input.onnx)
    ? input.onnx.map((member, i) =>
        typeof member === 'string'
          ? { file: member, weight: 1, output: null, field: `onnx[${i}]` }
          : { file: member.file, weight: member.weight ?? 1, output: outputSelector(member.output), field: `onnx[${i}].file` },
      )
    : [{ file: input.onnx, weight: 1, output: null, field: 'onnx' }];
  return {
    dataset: input.dataset,
    features: typeof input.features === 'string' ? { kind: 'set', name: input.features } : { kind: 'list', names: input.features },
    members,
    output: outputSelector(input.output),
    postprocess: input.postprocess ?? 'rank',
    tournament: input.tournament ?? 'classic',
    enabled: input.enabled ?? true,
    fillMissing: input.fill_missing ?? null,
    ensemble,
    engine: input.engine ?? 'auto',
  };
}

/**
 * The fields of an invalid manifest that are valid on their own: each field is re-validated in a manifest where
 * the others are replaced by known-good values, so one bad field never hides the problems of another (e.g. a
 * typo in `postprocess` still lets the ONNX files be checked).
 */
function validParts(value: unknown, problems: SchemaProblem[]): Partial<ModelManifest> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const fieldsWithProblems = new Set(problems.map((p) => (p.field ?? '').split(/[.[]/)[0]));
  const good: ManifestInput = { dataset: 'v0', features: 'all', onnx: 'model.onnx' };
  const candidate: Record<string, unknown> = { ...good };
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (!fieldsWithProblems.has(key)) candidate[key] = field;
  }
  const result = validateManifest(candidate);
  if (!result.ok) return {};
  const manifest = normalise(result.value);
  const partial: Partial<ModelManifest> = {};
  const record = value as Record<string, unknown>;
  const usable = (key: string) => key in record && !fieldsWithProblems.has(key);
  if (usable('dataset')) partial.dataset = manifest.dataset;
  if (usable('features')) partial.features = manifest.features;
  if (usable('onnx')) {
    partial.members = manifest.members;
    partial.ensemble = manifest.ensemble;
  }
  if (!fieldsWithProblems.has('output')) partial.output = manifest.output;
  if (!fieldsWithProblems.has('postprocess')) partial.postprocess = manifest.postprocess;
  if (!fieldsWithProblems.has('tournament')) partial.tournament = manifest.tournament;
  if (!fieldsWithProblems.has('enabled')) partial.enabled = manifest.enabled;
  if (!fieldsWithProblems.has('fill_missing')) partial.fillMissing = manifest.fillMissing;
  if (!fieldsWithProblems.has('engine')) partial.engine = manifest.engine;
  return partial;
}

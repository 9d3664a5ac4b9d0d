/**
 * Loading the models folder, offline: every `models/<numerai_model_name>/` with its model.yml and ONNX files,
 * checked as far as possible without data (schema, files, ONNX signatures, weights, widths against an explicit
 * feature list). Each folder gives its own result; one bad model never prevents loading the others. Feature sets
 * and names are checked later, against the dataset's features.json (resolveFeatures in features.ts).
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { messageOf } from '../data/errors.js';
import { modelFolderNames as listModelFolders } from './folders.js';
import { ModelConfigError, type ModelConfigIssue } from './errors.js';
import { parseManifest, type FeatureSpec, type ManifestMember, type ModelManifest, type OutputSelector } from './manifest.js';
import type { EngineChoice, PostprocessMethod, SupportedTournament } from './manifest-schema.js';
import { openSession } from './onnx-session.js';
import { readOnnxSignature } from './onnx-signature.js';
import { planMember, type MemberPlan } from './signature-check.js';

export const MANIFEST_FILES = ['model.yml', 'model.yaml'] as const;

export interface LoadedMember {
  /** The file as shown in messages (under the models folder as it was given). */
  file: string;
  /** Absolute path. */
  path: string;
  /** The manifest field that names it ("onnx", "onnx[1].file"). */
  field: string;
  /** Normalised: the weights of a model sum to 1. */
  weight: number;
  plan: MemberPlan;
}

export interface LoadedModel {
  /** The folder name: the Numerai model name. */
  name: string;
  dir: string;
  manifestPath: string;
  dataset: string;
  features: FeatureSpec;
  members: LoadedMember[];
  /** True when model.yml lists onnx as an ensemble. */
  ensemble: boolean;
  postprocess: PostprocessMethod;
  tournament: SupportedTournament;
  enabled: boolean;
  fillMissing: number | null;
  engine: EngineChoice;
}

interface ResultBase {
  name: string;
  dir: string;
  /** null when the folder has no model.yml. */
  manifestPath: string | null;
  /** From model.yml when it could be read; disabled models are still validated, so `check` can show them. */
  enabled: boolean;
}

export type ModelLoadResult = (ResultBase & { ok: true; model: LoadedModel }) | (ResultBase & { ok: false; errors: ModelConfigIssue[] });

/** The models folder itself is missing or unreadable: nothing can be loaded (ConfigError). */
export class ModelsFolderError extends Error {
  override name = 'ModelsFolderError';
  readonly errorClass = 'ConfigError' as const;
}

export interface LoadOptions {
  /** Only these model names (sharding, reruns). A name with no folder gives a failed result naming it. */
  only?: readonly string[];
  /**
   * Also open every ONNX file with onnxruntime (and release it), so that a file it cannot run is reported now: what
   * `check` does. Without it, the signature is read from the file alone (onnx-signature.ts) and a model onnxruntime
   * cannot load fails when its session is opened to predict: a run then builds each session once, and none for a
   * model that has nothing to submit.
   */
  openSessions?: boolean;
}

export async function loadModels(modelsDir: string, options: LoadOptions = {}): Promise<ModelLoadResult[]> {
  const names = await modelFolderNames(modelsDir);
  const wanted = options.only && options.only.length > 0 ? [...new Set(options.only)] : names;
  const results: ModelLoadResult[] = [];
  for (const name of wanted) {
    if (!names.includes(name)) {
      const dir = path.join(modelsDir, name);
      results.push({
        name,
        dir,
        manifestPath: null,
        enabled: true,
        ok: false,
        errors: [
          {
            model: name,
            file: dir,
            field: null,
            message: `no such model folder; the models folder has: ${names.length > 0 ? names.join(', ') : 'no model folders'}`,
          },
        ],
      });
      continue;
    }
    // Sequential on purpose: the work is synchronous (parsing; onnxruntime creating sessions), nothing to overlap.
    results.push(await loadModel(modelsDir, name, options.openSessions ?? false));
  }
  return results;
}

/** Loads one model folder; throws ModelConfigError with every issue when it is invalid. */
export async function loadModelOrThrow(modelsDir: string, name: string): Promise<LoadedModel> {
  const result = await loadModel(modelsDir, name);
  if (!result.ok) throw new ModelConfigError(name, result.errors);
  return result.model;
}

/**
 * The model folders (see folders.ts: sub-folders and links to folders, hidden ones skipped), or a ModelsFolderError
 * saying why the models folder itself cannot be listed.
 */
export async function modelFolderNames(modelsDir: string): Promise<string[]> {
  try {
    return await listModelFolders(modelsDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code ?? String(error)})`;
    throw new ModelsFolderError(
      `models folder ${modelsDir} ${why}; it should hold one folder per model: ${modelsDir}/<numerai_model_name>/model.yml`,
    );
  }
}

async function loadModel(modelsDir: string, name: string, openSessions = false): Promise<ModelLoadResult> {
  const dir = path.join(modelsDir, name);
  const issues: ModelConfigIssue[] = [];
  const issue = (file: string, field: string | null, message: string) => issues.push({ model: name, file, field, message });

  const present: string[] = [];
  for (const candidate of MANIFEST_FILES) {
    if ((await stat(path.join(dir, candidate)).catch(() => null))?.isFile()) present.push(candidate);
  }
  if (present.length === 0) {
    issue(dir, null, `has no model.yml; a model folder needs one with at least dataset, features and onnx, e.g. "dataset: v5.2", "features: medium", "onnx: model.onnx"`);
    return { name, dir, manifestPath: null, enabled: true, ok: false, errors: issues };
  }
  const manifestPath = path.join(dir, present[0]);
  if (present.length > 1) issue(dir, null, `has both ${present.join(' and ')}; keep one`);

  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    issue(manifestPath, null, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return { name, dir, manifestPath, enabled: true, ok: false, errors: issues };
  }

  const parsed = parseManifest(text);
  const manifest: Partial<ModelManifest> = parsed.ok ? parsed.manifest : parsed.partial;
  if (!parsed.ok) for (const problem of parsed.problems) issue(manifestPath, problem.field, problem.message);
  const enabled = manifest.enabled ?? true;

  const members: LoadedMember[] = [];
  if (manifest.members) {
    const modelsRoot = await realpath(modelsDir).catch(() => path.resolve(modelsDir));
    // With an invalid top-level `output` the members can still be checked, just not their output choice.
    const outputKnown = parsed.ok || manifest.output !== undefined;
    for (const member of manifest.members) {
      const selector = member.output ?? manifest.output ?? null;
      const loaded = await loadMember({ dir, modelsDir, modelsRoot, manifestPath, outputKnown, issue, openSessions }, member, selector);
      if (loaded) members.push(loaded);
    }
    checkWeights(manifest.members, manifestPath, issue);
    if (members.length === manifest.members.length) checkWidths(members, manifest.features, manifestPath, issue);
  }

  if (issues.length > 0 || !parsed.ok) return { name, dir, manifestPath, enabled, ok: false, errors: issues };
  const total = parsed.manifest.members.reduce((sum, m) => sum + m.weight, 0);
  for (const member of members) member.weight /= total;
  const { dataset, features, postprocess, tournament, fillMissing, ensemble, engine } = parsed.manifest;
  return {
    name,
    dir,
    manifestPath,
    enabled,
    ok: true,
    model: { name, dir, manifestPath, dataset, features, members, ensemble, postprocess, tournament, enabled, fillMissing, engine },
  };
}

type IssueSink = (file: string, field: string | null, message: string) => void;

/** What every member of one model folder is loaded with. */
interface MemberContext {
  dir: string;
  modelsDir: string;
  /** The models folder with its links resolved: an ONNX file must be inside it. */
  modelsRoot: string;
  manifestPath: string;
  /** False when the manifest's own `output` is invalid: the members are checked, not their output choice. */
  outputKnown: boolean;
  issue: IssueSink;
  openSessions: boolean;
}

async function loadMember(context: MemberContext, member: ManifestMember, selector: OutputSelector | null): Promise<LoadedMember | null> {
  const { dir, modelsDir, modelsRoot, manifestPath, outputKnown, issue } = context;
  const display = path.join(dir, member.file);
  const absolute = path.resolve(dir, member.file);
  const outside = `"${member.file}" resolves outside the models folder (${modelsDir}); ONNX files must be inside it`;
  if (!isInside(path.resolve(modelsDir), absolute)) {
    issue(manifestPath, member.field, outside);
    return null;
  }
  let bytes: Uint8Array;
  try {
    const real = await realpath(absolute);
    if (!isInside(modelsRoot, real)) {
      issue(manifestPath, member.field, `${outside} (it is a symbolic link to ${real})`);
      return null;
    }
    if (!(await stat(real)).isFile()) {
      issue(display, member.field, 'is a folder, not an ONNX file');
      return null;
    }
    bytes = await readFile(real);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const onnxFiles = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.onnx'));
      issue(
        display,
        member.field,
        `file not found${onnxFiles.length > 0 ? `; ONNX files in ${dir}: ${onnxFiles.join(', ')}` : `; ${dir} has no .onnx file`}`,
      );
    } else {
      issue(display, member.field, `cannot be read (${code ?? String(error)})`);
    }
    return null;
  }

  if (isLfsPointer(bytes)) {
    issue(
      display,
      member.field,
      'is a Git LFS pointer, not the ONNX file: the checkout did not fetch the LFS objects. Check out with `lfs: true` ' +
        '(actions/checkout), or run `git lfs pull` locally',
    );
    return null;
  }
  let signature;
  try {
    signature = readOnnxSignature(bytes);
  } catch (error) {
    issue(display, member.field, `is not a valid ONNX model: ${messageOf(error)}`);
    return null;
  }
  if (context.openSessions) {
    try {
      await (await openSession(bytes)).release();
    } catch (error) {
      issue(display, member.field, `is not a valid ONNX model that onnxruntime can load: ${messageOf(error).split('\n')[0]}`);
      return null;
    }
  }

  const planned = planMember(signature, selector);
  if (!planned.ok) {
    for (const problem of planned.problems) {
      if (problem.concerns === 'onnx' || selector === null) {
        // With no output chosen, an unusable output (e.g. only a ZipMap) is the ONNX file's problem.
        issue(display, member.field, problem.message);
      } else if (outputKnown) {
        const field = member.output ? member.field.replace(/\.file$/, '.output') : selector ? 'output' : member.field;
        issue(manifestPath, field, `${member.file}: ${problem.message}`);
      }
    }
    return null;
  }
  return { file: display, path: absolute, field: member.field, weight: member.weight, plan: planned.plan };
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function checkWeights(members: ManifestMember[], manifestPath: string, issue: IssueSink): void {
  const nonFinite = members.filter((m) => !Number.isFinite(m.weight));
  for (const member of nonFinite) issue(manifestPath, member.field.replace(/\.file$/, '.weight'), `must be a finite number (got ${member.weight})`);
  if (nonFinite.length > 0) return;
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  if (!(total > 0)) {
    issue(
      manifestPath,
      'onnx',
      `the ensemble weights (${members.map((m) => m.weight).join(', ')}) sum to ${total}; they must sum to a positive number, e.g. 0.7 and 0.3`,
    );
  }
}

function checkWidths(members: LoadedMember[], features: FeatureSpec | undefined, manifestPath: string, issue: IssueSink): void {
  const listed = features?.kind === 'list' ? features.names.length : null;
  const first = members.find((m) => m.plan.width !== null);
  for (const member of members) {
    const width = member.plan.width;
    if (width === null) continue;
    if (listed !== null) {
      if (width !== listed) {
        issue(
          member.file,
          member.field,
          `model input "${member.plan.inputName}" takes ${width} features per row, but features in ${manifestPath} lists ${listed}; ` +
            'list exactly the features the model was trained on, in training order',
        );
      }
    } else if (first && width !== first.plan.width) {
      issue(
        member.file,
        member.field,
        `model input takes ${width} features per row, but ${first.file} takes ${first.plan.width}; every member of an ensemble gets the same features`,
      );
    }
  }
}

/** The text file Git LFS leaves in place of a file whose object was not fetched (spec v1: it starts with this line). */
const LFS_POINTER_START = 'version https://git-lfs.github.com/spec/';

export function isLfsPointer(bytes: Uint8Array): boolean {
  return bytes.byteLength < 1024 && new TextDecoder().decode(bytes.subarray(0, LFS_POINTER_START.length)) === LFS_POINTER_START;
}

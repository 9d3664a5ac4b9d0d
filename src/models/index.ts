/**
 * The prediction engine: the models folder (model.yml + ONNX files), validation, inference, ensembles and
 * post-processing. The pipeline uses: loadModels → resolveFeatures (against the dataset's features.json) →
 * predict; the CLI's `check` uses checkModelsFolder.
 */
export { ModelConfigError, ModelError, formatIssue, type ModelConfigIssue } from './errors.js';
export {
  MANIFEST_FIELDS,
  POSTPROCESS_METHODS,
  SUPPORTED_TOURNAMENTS,
  type PostprocessMethod,
  type SupportedTournament,
} from './manifest-schema.js';
export { parseManifest, type FeatureSpec, type ModelManifest, type OutputSelector } from './manifest.js';
export {
  loadModels,
  loadModelOrThrow,
  modelFolderNames,
  ModelsFolderError,
  type LoadOptions,
  type LoadedMember,
  type LoadedModel,
  type ModelLoadResult,
} from './load.js';
export { resolveFeatures, type FeatureSetsDocument, type ResolveFeaturesResult } from './features.js';
export { predict, openModel, OpenModel, type PredictOptions } from './predict.js';
export { rankUniform, clipPredictions, rankAverage, postprocess, CLIP_EPSILON } from './postprocess.js';
export { SUPPORTED_INPUT_TYPES, type InputType, type OnnxSignature } from './onnx-session.js';
export type { MemberPlan, PlannedOutput } from './signature-check.js';
export { checkModelsFolder, formatCheckReport, type CheckReport, type ModelCheck, type MemberSummary } from './check.js';

/**
 * The prediction engine made of the project's real modules: the models folder (src/models), the dataset readers
 * (src/data) and Numerai's submission rules (src/submission).
 */
import { readFeaturesJson, type FeaturesJson } from '../data/features-json.js';
import { readLiveTable } from '../data/live-file.js';
import { ModelConfigError, formatIssue } from '../models/errors.js';
import { resolveFeatures } from '../models/features.js';
import { loadModels, type LoadedModel } from '../models/load.js';
import { predict } from '../models/predict.js';
import { checkSubmission } from '../submission/rules.js';
import { submissionCsv } from '../submission/csv.js';
import type { EngineModel, ModelLoadResult, PredictionEngine } from './engine.js';

export interface EngineOptions {
  /** CPU threads for the live file's decode and a model's work (onnxruntime's intra-op threads, the tree kernel's); 0 = every core. */
  threads?: number;
}

export function createDefaultEngine(options: EngineOptions = {}): PredictionEngine {
  const threads = options.threads || undefined;
  return {
    async loadModels(modelsDir, only): Promise<ModelLoadResult[]> {
      const results = await loadModels(modelsDir, { only });
      return results.map((result) =>
        result.ok
          ? { name: result.name, ok: true, model: result.model, enabled: result.enabled }
          : { name: result.name, ok: false, errors: result.errors.map(formatIssue), enabled: result.enabled },
      );
    },
    readFeaturesJson: (path) => readFeaturesJson(path),
    resolveFeatures(model: EngineModel, featuresJson: unknown): string[] {
      const loaded = model as LoadedModel;
      const resolved = resolveFeatures(loaded, featuresJson as FeaturesJson);
      if (!resolved.ok) throw new ModelConfigError(loaded.name, resolved.errors);
      return resolved.features;
    },
    readLiveTable: (path, columns) => readLiveTable(path, columns, { threads }),
    predict: (model, table, features) => predict(model as LoadedModel, table, features, { threads }),
    checkSubmission: (ids, predictions, liveIds) => checkSubmission(ids, predictions, liveIds),
    submissionCsv: (ids, predictions) => submissionCsv(ids, predictions),
  };
}

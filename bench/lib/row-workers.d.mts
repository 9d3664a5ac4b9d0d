import type { FeatureTable } from '../../src/data/table.js';
import type { MemberPlan } from '../../src/models/signature-check.js';

export interface RowWorkers {
  predict(table: FeatureTable, features: readonly string[]): Promise<Float64Array>;
  release(): Promise<void>;
}

export function openRowWorkers(modelPath: string, plan: MemberPlan, count: number): Promise<RowWorkers>;

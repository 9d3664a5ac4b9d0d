/**
 * The look-back stage: every run, including one that finds nothing to do, reads the tournament's recent rounds and
 * each model's submissions and reports the rounds each model missed or answered late (missed-rounds.ts decides
 * which). It runs after the uploads, so this run's own submissions count. It never fails the run: when Numerai
 * cannot be asked, the report says so and the run's result stays what it was.
 */
import { messageOf } from '../data/errors.js';
import { answerOutcome, closedExpectedRounds, modelPunctuality, roundsToFetch } from './missed-rounds.js';
import { modelFolderNames } from '../models/folders.js';
import type { RoundPlan } from './plan.js';
import type { Clock, NumeraiPort, Reporter } from './ports.js';
import type { ModelRoundsReport, RecentRoundsReport } from './report.js';
import type { PipelineSettings } from './settings.js';

export interface LookbackPorts {
  numerai: NumeraiPort;
  clock: Clock;
  reporter: Reporter;
}

type LookbackSettings = Pick<PipelineSettings, 'expectRounds' | 'lookbackRounds' | 'modelsDir' | 'models' | 'publicId' | 'secretKey'>;

/** Reads the records and reports missed and late rounds per model; undefined when there are no keys to ask with. */
export async function lookBack(settings: LookbackSettings, ports: LookbackPorts, plan: RoundPlan): Promise<RecentRoundsReport | undefined> {
  const { numerai, clock, reporter } = ports;
  if (!settings.publicId || !settings.secretKey) return undefined;
  const result: RecentRoundsReport = { expect: settings.expectRounds, lookback: settings.lookbackRounds, rounds: [], models: [] };
  if (!numerai.recentRounds || !numerai.submissionHistory) return { ...result, error: 'this Numerai adapter cannot list earlier rounds' };
  try {
    const models = await modelsToCheck(settings, numerai, plan);
    const now = clock.now();
    const recent = await numerai.recentRounds(plan.tournament, roundsToFetch(settings.expectRounds, settings.lookbackRounds));
    const expected = closedExpectedRounds(recent, { expect: settings.expectRounds, lookback: settings.lookbackRounds, now });
    result.rounds = expected.map((r) => r.number);
    for (const { name, modelId } of models) {
      const submissions = await numerai.submissionHistory(modelId);
      const { rounds, missed, late } = modelPunctuality(expected, submissions, plan.tournament);
      const entry: ModelRoundsReport = { model: name, missed, late, rounds };
      const open = plan.round;
      if (open) {
        const answers = submissions.filter((s) => s.round === open.number && s.tournament === plan.tournament);
        entry.current = { number: open.number, outcome: answerOutcome(answers, open.closeStakingTime?.getTime() ?? Infinity) ?? 'none' };
      }
      result.models.push(entry);
      if (missed.length > 0 || late.length > 0) {
        const kind = settings.expectRounds === 'weekend' ? 'Saturday ' : '';
        const what = [missed.length ? `missed ${listRounds(missed)}` : '', late.length ? `submitted late to ${listRounds(late)}` : ''].filter(Boolean).join(' and ');
        reporter.log('info', `${name}: of the last ${rounds.length} ${kind}rounds it was expected to answer, it ${what} (Numerai's records).`, { model: name });
      }
    }
  } catch (error) {
    result.error = `could not read the earlier rounds and submissions: ${messageOf(error)}`;
    reporter.log('warning', `Missed rounds are unknown for this run: ${result.error}.`);
  }
  return result;
}

/** "round 1234" or "rounds 1230, 1232 and 1234". */
export function listRounds(numbers: readonly number[]): string {
  if (numbers.length === 1) return `round ${numbers[0]}`;
  return `rounds ${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`;
}

/**
 * The models whose records are read: those the plan saw (less the disabled ones), or, when the run stopped before
 * the models (no round open), the folders of the models folder; with their ids from the plan or the account.
 */
async function modelsToCheck(settings: LookbackSettings, numerai: NumeraiPort, plan: RoundPlan): Promise<{ name: string; modelId: string }[]> {
  const planned = plan.models.filter((m) => !(m.status === 'skipped' && !m.modelId && m.reason?.startsWith('disabled')));
  let names = planned.map((m) => m.name);
  if (plan.models.length === 0) {
    const folders = await modelFolderNames(settings.modelsDir).catch(() => [] as string[]);
    names = settings.models.length > 0 ? folders.filter((f) => settings.models.includes(f)) : folders;
  }
  const ids = new Map(planned.filter((m) => m.modelId).map((m) => [m.name, m.modelId!]));
  if (names.some((n) => !ids.has(n))) {
    for (const model of await numerai.accountModels(plan.tournament)) {
      if (model.tournament === plan.tournament && !ids.has(model.name)) ids.set(model.name, model.id);
    }
  }
  return names.filter((n) => ids.has(n)).map((name) => ({ name, modelId: ids.get(name)! }));
}

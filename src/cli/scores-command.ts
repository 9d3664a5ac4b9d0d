/** `numerai-autopilot scores`: the account's models' recent round scores, as tables or JSON. */
import { messageOf } from '../data/errors.js';
import { TOURNAMENTS, type NumeraiPort, type Reporter, type ScoresPort } from '../pipeline/ports.js';
import { readScores } from '../pipeline/scores.js';
import type { PipelineSettings } from '../pipeline/settings.js';
import { renderScores } from './scores-table.js';
import type { OutputStream } from './terminal-reporter.js';

export interface ScoresCommandPorts {
  numerai: Pick<NumeraiPort, 'accountModels'> & ScoresPort;
  reporter: Reporter;
  stdout: OutputStream;
}

/** Exit code 0 when every model's scores were read, 1 otherwise (the tables of the others are still printed). */
export async function scoresCommand(settings: PipelineSettings, json: boolean, ports: ScoresCommandPorts): Promise<number> {
  const tournament = TOURNAMENTS.classic;
  let account;
  try {
    account = await ports.numerai.accountModels(tournament);
  } catch (error) {
    ports.reporter.log('error', `Could not list the account's models: ${messageOf(error)}`);
    return 1;
  }
  const unknown = settings.models.filter((name) => !account.some((m) => m.name === name));
  if (unknown.length > 0) {
    const known = account.map((m) => m.name).join(', ') || '(none)';
    ports.reporter.log('error', `--models: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a model of this account in the classic tournament. Its models: ${known}.`);
    return 1;
  }
  const models = account.filter((m) => settings.models.length === 0 || settings.models.includes(m.name)).map((m) => ({ name: m.name, id: m.id }));
  const report = await readScores(ports.numerai, { tournament, models, rounds: settings.scoreRounds }, ports.reporter);
  ports.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderScores({ ...report, warning: undefined }));
  return report.warning ? 1 : 0;
}

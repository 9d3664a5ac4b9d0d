/**
 * Facts about this package read from its own package.json at run time: its version, its npm name, and the address
 * of the GitHub Action (package.json `repository` + the major version). That file is the one place the action's
 * address is written down; `init`, the templates and the docs all agree with it (test/cli/package.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's root folder: the same two levels up from src/cli/ (in a clone) and dist/cli/ (when installed). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface PackageInfo {
  name: string;
  version: string;
  /** `owner/repo` of the action's repository on GitHub. */
  repository: string;
  /** What a workflow's `uses:` names, e.g. `owner/numerai-autopilot@v1`. */
  actionAddress: string;
  /** What `npm install` names to get this major version, e.g. `numerai-autopilot@1`. */
  npmSpec: string;
}

interface PackageJson {
  name: string;
  version: string;
  repository?: string | { url?: string };
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
  cached = describePackage(json);
  return cached;
}

/** package.json fields → the addresses derived from them. Throws when `repository` names no GitHub repository. */
export function describePackage(json: PackageJson): PackageInfo {
  const url = typeof json.repository === 'string' ? json.repository : (json.repository?.url ?? '');
  const match = /github(?:\.com[/:]|:)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url);
  if (!match) throw new Error(`package.json repository "${url}" is not a GitHub repository (expected https://github.com/OWNER/REPO)`);
  const repository = `${match[1]}/${match[2]}`;
  const major = json.version.split('.')[0];
  return { name: json.name, version: json.version, repository, actionAddress: `${repository}@v${major}`, npmSpec: `${json.name}@${major}` };
}

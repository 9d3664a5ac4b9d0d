/** The action's address is written once, in package.json `repository`; everything that names it agrees. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describePackage, packageInfo } from '../../src/cli/package-info.js';
import { ROOT } from '../action/workflow-helpers.js';

const read = (relative: string) => readFileSync(join(ROOT, relative), 'utf8');
const files = (folder: string) => readdirSync(join(ROOT, folder)).filter((name) => /\.(md|yml)$/.test(name)).map((name) => `${folder}/${name}`);

test('package.json repository gives the action address and the npm spec', () => {
  const json = JSON.parse(read('package.json'));
  assert.equal(json.private, undefined, 'publishable');
  const info = packageInfo();
  assert.match(info.actionAddress, /^[\w.-]+\/numerai-autopilot@v\d+$/);
  assert.equal(info.actionAddress, `${info.repository}@v${json.version.split('.')[0]}`);
  assert.equal(describePackage({ name: 'n', version: '2.3.4', repository: 'github:me/thing' }).actionAddress, 'me/thing@v2');
  assert.equal(describePackage({ name: 'n', version: '2.3.4', repository: { url: 'git+https://github.com/me/thing.git' } }).npmSpec, 'n@2');
  assert.throws(() => describePackage({ name: 'n', version: '1.0.0', repository: 'https://gitlab.com/me/thing' }), /not a GitHub repository/);
});

test('the templates and the docs name the action and the package as package.json does', () => {
  const { actionAddress, npmSpec, name } = packageInfo();
  const named: string[] = [];
  for (const file of ['README.md', ...files('docs'), ...files('.github/workflow-templates'), 'action.yml']) {
    const text = read(file);
    for (const match of text.matchAll(/[\w.-]+\/numerai-autopilot@[\w.-]+/g)) {
      named.push(file);
      assert.equal(match[0], actionAddress, `${file} names the action ${match[0]}`);
    }
    for (const match of text.matchAll(new RegExp(`npm install[^\\n]*\\s(${name}@\\S+)`, 'g'))) assert.equal(match[1], npmSpec, `${file} installs ${match[1]}`);
  }
  assert.ok(named.includes('README.md') && named.some((file) => file.startsWith('.github/')), `found in ${named.join(', ')}`);
});

/**
 * The one listing of the models folder (src/models/folders.ts), used by the loader, the pipeline's plan, the lookback
 * and the offline rehearsal: sub-folders and links that lead to folders are models; hidden entries, files, dangling
 * links and links to files are not.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { modelFolderNames } from '../../src/models/folders.js';
import { modelFolderNames as loaderFolderNames, ModelsFolderError } from '../../src/models/index.js';

let root: string;
let modelsDir: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'model-folders-'));
  modelsDir = path.join(root, 'models');
  await mkdir(path.join(modelsDir, 'plain_model'), { recursive: true });
  await mkdir(path.join(modelsDir, '.git'));
  await writeFile(path.join(modelsDir, 'README.md'), 'not a model\n');
  await mkdir(path.join(root, 'elsewhere', 'gbt'), { recursive: true });
  await symlink(path.join(root, 'elsewhere', 'gbt'), path.join(modelsDir, 'linked_model'));
  await symlink(path.join(root, 'gone'), path.join(modelsDir, 'dangling_model'));
  await symlink(path.join(modelsDir, 'README.md'), path.join(modelsDir, 'file_link'));
});
after(() => rm(root, { recursive: true, force: true }));

test('a link to a folder is a model folder; a dangling link, a link to a file, a file and a hidden folder are not', async () => {
  assert.deepEqual(await modelFolderNames(modelsDir), ['linked_model', 'plain_model']);
});

test('the loader lists the same folders as the pipeline', async () => {
  assert.deepEqual(await loaderFolderNames(modelsDir), await modelFolderNames(modelsDir));
});

test('a missing models folder throws the file-system error for the caller to explain; the loader names the folder', async () => {
  const missing = path.join(root, 'no-such-models');
  await assert.rejects(modelFolderNames(missing), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
  await assert.rejects(loaderFolderNames(missing), (error: Error) => error instanceof ModelsFolderError && error.message.includes(`${missing} does not exist`));
});

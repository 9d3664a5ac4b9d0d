import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ActionRunsNode } from '@actions/workflow-parser/actions/index';
import { InputDefaults, Inputs, Outputs } from '../../src/github/constants.js';
import { parseActionFile, ROOT } from './workflow-helpers.js';

describe('action.yml', () => {
  const { template } = parseActionFile('action.yml');
  const inputs = new Map(template.inputs?.map((input) => [input.id, input]));

  it('runs the committed bundle on Node 24', () => {
    const runs = template.runs as ActionRunsNode;
    assert.equal(runs.using, 'node24');
    assert.equal(runs.main, 'action/index.js');
    assert.ok(fs.existsSync(path.join(ROOT, runs.main)), `${runs.main} is committed`);
  });

  it('has a name, a description and branding for the marketplace', () => {
    assert.ok(template.name && template.description.length > 40);
    assert.ok(template.branding?.icon && template.branding?.color);
  });

  it('declares exactly the inputs the code reads, each documented', () => {
    assert.deepEqual([...inputs.keys()].sort(), Object.values(Inputs).sort());
    for (const input of inputs.values()) assert.ok((input.description ?? '').length > 20, `${input.id} is documented`);
  });

  it('names every scope the key needs in the public-id description', () => {
    // The scopes of docs/run.md ("API key scopes"): a key created from this description alone must work.
    const description = inputs.get(Inputs.PublicId)?.description ?? '';
    for (const scope of ['upload_submission', 'read_user_info', 'read_submission_info']) assert.ok(description.includes(scope), scope);
  });

  it('requires only the two keys, with the defaults the code assumes for the rest', () => {
    const required = [...inputs.values()].filter((input) => input.required).map((input) => input.id);
    assert.deepEqual(required.sort(), [Inputs.PublicId, Inputs.SecretKey].sort());
    for (const [name, value] of Object.entries(InputDefaults)) {
      const declared = inputs.get(name)?.default;
      const text = declared === undefined ? '' : declared.toString();
      assert.equal(text, value, `default of ${name}`);
    }
  });

  it('declares exactly the outputs the code sets, each documented', () => {
    const outputs = template.outputs ?? [];
    assert.deepEqual(outputs.map((o) => o.id).sort(), Object.values(Outputs).sort());
    for (const output of outputs) assert.ok((output.description ?? '').length > 15, `${output.id} is documented`);
  });
});

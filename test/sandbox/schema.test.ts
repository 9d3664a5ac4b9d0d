/** Schema helpers: Absinthe-style spellings, canonical operation names, Absinthe wording of graphql-js messages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { absintheMessage } from '../../src/sandbox/server.js';
import { buildSandboxSchema, canonicalOperation, ROOT_FIELDS, toCamel, toSnake } from '../../src/sandbox/schema.js';

test('spellings as Elixir Macro.underscore / Absinthe camelize', () => {
  assert.equal(toSnake('modelId'), 'model_id');
  assert.equal(toSnake('v2Stake'), 'v2_stake');
  assert.equal(toSnake('submissionUploadSignalsAuth'), 'submission_upload_signals_auth');
  assert.equal(toCamel('public_id'), 'publicId');
  assert.equal(toCamel('create_submission'), 'createSubmission');
});

test('canonical operations are numerapi\'s spellings', () => {
  assert.equal(canonicalOperation('createSubmission'), 'create_submission');
  assert.equal(canonicalOperation('create_submission'), 'create_submission');
  assert.equal(canonicalOperation('list_datasets'), 'listDatasets');
  assert.equal(canonicalOperation('submissionUploadAuth'), 'submission_upload_auth');
  assert.equal(canonicalOperation('nope'), null);
  for (const f of ['rounds', 'account', 'model', 'submissions', 'listDatasets', 'dataset', 'submission_upload_auth', 'create_submission']) assert.ok(ROOT_FIELDS.includes(f), f);
});

test('both spellings of every field and optional argument exist; required arguments keep one', () => {
  const schema = buildSandboxSchema();
  const query = schema.getQueryType()!.getFields();
  const mutation = schema.getMutationType()!.getFields();
  assert.ok(query.submission_upload_auth && query.submissionUploadAuth);
  assert.ok(mutation.create_submission && mutation.createSubmission);
  const args = mutation.createSubmission.args.map((a) => a.name);
  for (const a of ['filename', 'tournament', 'modelId', 'model_id', 'triggerId', 'trigger_id', 'source', 'dataDatestamp', 'data_datestamp']) assert.ok(args.includes(a), a);
  assert.equal(String(mutation.createSubmission.args.find((a) => a.name === 'tournament')!.type), 'Int!');
  const hook = mutation.setSubmissionWebhook.args.map((a) => a.name);
  assert.ok(hook.includes('modelId') && !hook.includes('model_id'), 'a required argument keeps its one spelling');
});

test('graphql-js messages in Absinthe words', () => {
  assert.equal(absintheMessage('Unknown argument "take" on field "RootQueryType.rounds".'), 'Unknown argument "take" on field "rounds" of type "RootQueryType".');
  assert.equal(absintheMessage('Unknown argument "tak" on field "RootQueryType.rounds". Did you mean "target"?'), 'Unknown argument "tak" on field "rounds" of type "RootQueryType".');
  assert.equal(absintheMessage('Field "dataset" argument "filename" of type "String!" is required, but it was not provided.'), 'In argument "filename": Expected type "String!", found null.');
  assert.equal(absintheMessage('Cannot query field "modelid" on type "RootQueryType". Did you mean "model" or "model_id"?'), 'Cannot query field "modelid" on type "RootQueryType". Did you mean "model"?');
});

#!/usr/bin/env node
// Runs the compiled CLI with plain Node: dist/ is built by `npm run build` (and by `prepare`, so `npm ci` in a clone
// and `npm pack` build it too). Nothing here needs a development dependency.
try {
  await import('../dist/cli/index.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/dist/cli/index.js')) throw error;
  process.stderr.write('numerai-autopilot: dist/ is missing: run `npm run build` in this clone (npm ci runs it too).\n');
  process.exitCode = 1;
}

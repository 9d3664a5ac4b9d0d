/**
 * The action's entry point (bundled to action/index.js). The runner is checked before the pipeline is loaded:
 * loading it loads onnxruntime-node's native library, which exists in the bundle for linux/x64 only.
 */
import * as core from '@actions/core';
import { unsupportedPlatformMessage } from './platform.js';

const unsupported = unsupportedPlatformMessage();
if (unsupported) {
  core.setFailed(unsupported);
} else {
  // run() reports its own failures; this catches a bundle that cannot even load (e.g. a damaged action/ folder).
  let main: { run(): Promise<void> } | undefined;
  try {
    main = await import('./main.js');
  } catch (error) {
    core.setFailed(`The action could not load its code from action/: ${error instanceof Error ? error.message : String(error)}`);
  }
  await main?.run();
  // A GitHub-side request abandoned at its deadline may still hold a socket open; the step is over, so end the
  // process rather than wait for it (actions/cache's save step does the same for stalled uploads).
  process.exit();
}

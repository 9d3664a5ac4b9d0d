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
  const { run } = await import('./main.js');
  await run();
}

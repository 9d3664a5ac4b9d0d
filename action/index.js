// Built by `npm run bundle` from src/github/index.ts. Do not edit: CI fails when this differs from a fresh build.
import { createRequire as __nap_createRequire } from 'node:module';
import { fileURLToPath as __nap_fileURLToPath } from 'node:url';
import { dirname as __nap_dirname } from 'node:path';
const require = __nap_createRequire(import.meta.url);
const __nap_filename = __nap_fileURLToPath(import.meta.url);
const __nap_dirname_value = __nap_dirname(__nap_filename);
import {
  setFailed
} from "./chunks/chunk-EDMYK2V2.js";
import "./chunks/chunk-3PI6QYA2.js";

// src/github/platform.ts
var SUPPORTED_PLATFORMS = [{ platform: "linux", arch: "x64" }];
function unsupportedPlatformMessage(current = { platform: process.platform, arch: process.arch }) {
  if (SUPPORTED_PLATFORMS.some((p) => p.platform === current.platform && p.arch === current.arch)) return null;
  const supported = SUPPORTED_PLATFORMS.map((p) => `${p.platform}/${p.arch}`).join(", ");
  return `Numerai Autopilot runs on ${supported} runners only, and this runner is ${current.platform}/${current.arch}. Use \`runs-on: ubuntu-latest\` (or another x64 Linux runner) for the job that uses this action; on other machines use the numerai-autopilot CLI, which installs onnxruntime-node for the local platform.`;
}

// src/github/index.ts
var unsupported = unsupportedPlatformMessage();
if (unsupported) {
  setFailed(unsupported);
} else {
  let main;
  try {
    main = await import("./chunks/main-SO2U4KZ5.js");
  } catch (error) {
    setFailed(`The action could not load its code from action/: ${error instanceof Error ? error.message : String(error)}`);
  }
  await main?.run();
  process.exit();
}

// Built by `npm run bundle` from src/github/index.ts. Do not edit: CI fails when this differs from a fresh build.
import { createRequire as __nap_createRequire } from 'node:module';
import { fileURLToPath as __nap_fileURLToPath } from 'node:url';
import { dirname as __nap_dirname } from 'node:path';
const require = __nap_createRequire(import.meta.url);
const __nap_filename = __nap_fileURLToPath(import.meta.url);
const __nap_dirname_value = __nap_dirname(__nap_filename);
import {
  drainBlocks
} from "./chunk-2YTHSAKQ.js";
import {
  messageOf
} from "./chunk-JOF6W7PE.js";
import "./chunk-3PI6QYA2.js";

// src/data/parquet-worker.ts
import { parentPort } from "node:worker_threads";
var port = parentPort;
if (port) {
  port.once("message", (input) => {
    let answer;
    try {
      const failure = drainBlocks(input.path, input.fileSize, input.tasks, input.values, input.width, input.control);
      answer = failure ? { failure: { order: failure.order, problem: failure.problem, columns: failure.columns, cause: failure.cause } } : {};
    } catch (error) {
      answer = { crash: messageOf(error) };
    }
    port.postMessage(answer);
    port.close();
  });
}

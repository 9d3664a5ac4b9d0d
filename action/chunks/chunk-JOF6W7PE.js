// Built by `npm run bundle` from src/github/index.ts. Do not edit: CI fails when this differs from a fresh build.
import { createRequire as __nap_createRequire } from 'node:module';
import { fileURLToPath as __nap_fileURLToPath } from 'node:url';
import { dirname as __nap_dirname } from 'node:path';
const require = __nap_createRequire(import.meta.url);
const __nap_filename = __nap_fileURLToPath(import.meta.url);
const __nap_dirname_value = __nap_dirname(__nap_filename);

// src/data/errors.ts
var DataError = class extends Error {
  name = "DataError";
  /** The file the problem is in. */
  file;
  /** The columns concerned, when the problem is about columns (missing, wrong type). */
  columns;
  constructor(file, problem, options = {}) {
    super(`${file}: ${problem}`, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.file = file;
    this.columns = options.columns ?? [];
  }
};
function fileAccessError(file, error, action) {
  const code = error.code;
  return new DataError(file, code === "ENOENT" ? "file not found" : `cannot ${action} the file: ${messageOf(error)}`, { cause: error });
}
function listNames(names, limit = 10) {
  const shown = names.slice(0, limit).join(", ");
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}
function messageOf(error) {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

export {
  DataError,
  fileAccessError,
  listNames,
  messageOf
};

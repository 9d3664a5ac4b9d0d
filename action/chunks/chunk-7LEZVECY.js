// Built by `npm run bundle` from src/github/index.ts. Do not edit: CI fails when this differs from a fresh build.
import { createRequire as __nap_createRequire } from 'node:module';
import { fileURLToPath as __nap_fileURLToPath } from 'node:url';
import { dirname as __nap_dirname } from 'node:path';
const require = __nap_createRequire(import.meta.url);
const __nap_filename = __nap_fileURLToPath(import.meta.url);
const __nap_dirname_value = __nap_dirname(__nap_filename);

// src/models/folders.ts
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
async function modelFolderNames(modelsDir) {
  const entries = await readdir(modelsDir, { withFileTypes: true });
  const names = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    if (entry.isDirectory() || entry.isSymbolicLink() && await leadsToFolder(path.join(modelsDir, entry.name))) {
      names.push(entry.name);
    }
  }
  return names.sort();
}
async function leadsToFolder(link) {
  try {
    return (await stat(link)).isDirectory();
  } catch {
    return false;
  }
}

export {
  modelFolderNames
};

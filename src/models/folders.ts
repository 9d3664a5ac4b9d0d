/**
 * The one listing of the models folder, shared by the loader and the pipeline's plan. Kept apart from load.ts so the
 * pipeline can list model folders without loading the ONNX runtime.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The model folders of the models folder, sorted: its sub-folders, and symbolic links that lead to a folder (a model
 * kept elsewhere and linked in counts like one copied in). Hidden entries (".git", ".cache"), plain files and links
 * that lead nowhere or to a file are not models. A models folder that cannot be read throws the file-system error
 * as it is (its `code`: ENOENT, ENOTDIR, EACCES), for the caller to explain in its own terms.
 */
export async function modelFolderNames(modelsDir: string): Promise<string[]> {
  const entries = await readdir(modelsDir, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await leadsToFolder(path.join(modelsDir, entry.name))))) {
      names.push(entry.name);
    }
  }
  return names.sort();
}

async function leadsToFolder(link: string): Promise<boolean> {
  try {
    return (await stat(link)).isDirectory();
  } catch {
    return false; // dangling link, or a loop: not a model folder
  }
}

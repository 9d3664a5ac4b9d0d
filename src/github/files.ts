import { stat } from 'node:fs/promises';

/** Whether `file` exists and is a regular file; a missing or unreadable path is simply "no". */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

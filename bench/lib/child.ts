/**
 * Runs one benchmark case in a fresh process, so its peak RSS is its own. The parent (measureInChild in run.ts)
 * sends {modulePath, exportName, args}; this process imports the module, awaits `module[exportName](args)`,
 * and replies with the case's result, the wall time of the call, and its own peak RSS (see peak-rss.ts).
 */
import { pathToFileURL } from 'node:url';
import { peakRssBytes } from './peak-rss.js';

interface Request {
  modulePath: string;
  exportName: string;
  args: unknown;
}

process.once('message', (message: Request) => {
  void (async () => {
    try {
      const module = (await import(pathToFileURL(message.modulePath).href)) as Record<string, unknown>;
      const fn = module[message.exportName];
      if (typeof fn !== 'function') throw new Error(`${message.modulePath} has no exported function ${message.exportName}`);
      const start = performance.now();
      const result: unknown = await fn(message.args);
      const wallMs = performance.now() - start;
      const maxRssBytes = peakRssBytes();
      process.send!({ ok: true, result, wallMs, maxRssBytes }, () => process.exit(0));
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.send!({ ok: false, error: text }, () => process.exit(1));
    }
  })();
});

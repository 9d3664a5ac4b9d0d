import type { Level, Reporter } from '../pipeline/ports.js';
import { formatBytes } from '../pipeline/bytes.js';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const PREFIX: Record<Level, string> = { debug: 'debug: ', info: '', notice: 'notice: ', warning: 'warning: ', error: 'error: ' };

/**
 * Progress and log lines for a person at a terminal, or for a log file. On a terminal, downloads show one live
 * progress line; otherwise nothing but whole lines is written, so CI logs stay readable.
 */
export class TerminalReporter implements Reporter {
  private progressShown = false;
  private lastProgressAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: OutputStream,
    private readonly options: { verbose?: boolean; now?: () => number } = {},
  ) {}

  log(level: Level, message: string, _context?: { model?: string }): void {
    if (level === 'debug' && !this.options.verbose) return;
    this.clearProgress();
    this.out.write(`${PREFIX[level]}${message}\n`);
  }

  downloadProgress(file: string, received: number, total: number | null): void {
    if (!this.out.isTTY) return;
    const now = (this.options.now ?? Date.now)();
    const done = total !== null && received >= total;
    // A redraw per network chunk would flood the terminal; ten a second reads as smooth.
    if (!done && now - this.lastProgressAt < 100) return;
    this.lastProgressAt = now;
    const amount = total ? `${formatBytes(received)} / ${formatBytes(total)} (${Math.floor((100 * received) / total)}%)` : formatBytes(received);
    this.out.write(`\r\x1b[K  ${file}  ${amount}`);
    this.progressShown = true;
    if (done) this.clearProgress();
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.out.write('\r\x1b[K');
    this.progressShown = false;
  }
}

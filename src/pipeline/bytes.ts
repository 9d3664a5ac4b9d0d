/** Sizes as both shells print them (the terminal's download progress and `run` summary, the job summary). */

/**
 * A byte count in binary units, the ones its 1024 divisors actually are: `512 B`, `2.0 KiB`, `7.3 MiB`, `1.25 GiB`.
 * One function so the terminal and the job summary show the same file with the same size.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

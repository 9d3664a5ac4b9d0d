/**
 * Absinthe's two spellings of a name. Its default naming adapter turns incoming camelCase names into snake_case, so
 * the real API takes both spellings of a field or argument (numerapi itself sends `submission_upload_auth` and
 * `public_id` next to `listDatasets` and `modelId`).
 */

/** camelCase → snake_case the way Elixir's Macro.underscore does it (v2Stake → v2_stake, modelId → model_id). */
export function toSnake(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** snake_case → camelCase (public_id → publicId, create_submission → createSubmission). */
export function toCamel(name: string): string {
  return name.replace(/_([a-z\d])/g, (_m, c: string) => c.toUpperCase());
}

/** The other spelling of a name, or null when both spellings are the same (`rounds`). */
export function otherSpelling(name: string): string | null {
  const other = name.includes('_') ? toCamel(name) : toSnake(name);
  return other === name ? null : other;
}

/** The argument value whichever spelling the client used (modelId or model_id). */
export function arg<T>(args: Record<string, unknown>, name: string): T | undefined {
  if (args[name] !== undefined && args[name] !== null) return args[name] as T;
  const other = otherSpelling(name);
  if (other && args[other] !== undefined && args[other] !== null) return args[other] as T;
  return args[name] === null || (other !== null && args[other] === null) ? (null as T) : undefined;
}

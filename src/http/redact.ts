/**
 * Keeping the secret key out of every text that leaves the client: error messages, log lines, retry events.
 * Servers and proxies may echo request headers back in error pages, so any text that came from the network passes
 * through a Redactor before it is put in an error.
 */

export type Redactor = (text: string) => string;

export const REDACTED = '***';

/**
 * A redactor for these secrets. Secrets shorter than 4 characters are not replaced (they would mangle ordinary text
 * and cannot be a real Numerai key anyway).
 */
export function redactorFor(secrets: readonly (string | undefined)[]): Redactor {
  const needles = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  if (needles.length === 0) return (text) => text;
  // Also catch the URL-encoded form, which is how a secret shows up inside a URL or form body echoed back.
  const variants = [...new Set(needles.flatMap((s) => [s, encodeURIComponent(s)]))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of variants) out = out.split(needle).join(REDACTED);
    return out;
  };
}

/** A URL fit for a message: scheme, host and path only (signed URLs carry credentials in their query string). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/** The first characters of a body, on one line, for an error message about an unexpected answer. */
export function snippet(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * A plain Error describing a low-level failure (fetch's TypeError and its `cause` chain), redacted, with no reference
 * to the original object: library errors can hold sockets, requests and their headers. Its `code` is the first
 * errno-style code found along the chain (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET, ...), when there is one.
 */
export function describeFailure(error: unknown, redact: Redactor): Error & { code?: string } {
  const parts: string[] = [];
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      const c = (current as { code?: unknown }).code;
      if (code === undefined && typeof c === 'string') code = c;
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  const plain: Error & { code?: string } = new Error(redact([...new Set(parts)].filter(Boolean).join(': ') || 'unknown failure'));
  if (code) plain.code = code;
  return plain;
}

/**
 * Removes secrets from text that leaves the run: issue titles, bodies and comments, summaries, annotations and
 * warnings. Two layers, because either alone leaks: the known secret values (and their URL- and JSON-escaped
 * forms), and the shapes a credential takes even when its value is not known here (Numerai's
 * `Authorization: Token <public_id>$<secret_key>`, bearer tokens, signed-URL signatures, passwords in URLs).
 */

export type Sanitize = (text: string) => string;

/** What replaces a secret; the same marker the runner uses when it masks a log line. */
export const REDACTED = '***';

/** Values shorter than this are not treated as secrets: replacing every "a" or "1" would wreck the text. */
const MIN_SECRET_LENGTH = 4;

const CREDENTIAL_PATTERNS: [RegExp, string][] = [
  // Numerai's auth header value: "Token PUBLIC_ID$SECRET_KEY".
  [/\bToken\s+[^\s$]+\$[^\s"'`,;)}\]]+/gi, `Token ${REDACTED}`],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${REDACTED}`],
  // An Authorization header or field with whatever scheme, e.g. in a dumped request.
  [/(\bauthorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1${REDACTED}`],
  // Signed-URL credentials (S3, Azure SAS, GitHub): the URL stays readable, the signature does not.
  [
    /([?&](?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|token|access_token|secret|secret_key|api_key|key)=)[^&#\s"'`)]+/gi,
    `$1${REDACTED}`,
  ],
  // user:password@host in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`],
];

/**
 * A function that replaces every occurrence of the given secret values (empty and very short values are
 * ignored) and every credential-shaped substring with `***`.
 */
export function createSanitizer(secrets: Iterable<string | null | undefined>): Sanitize {
  const forms = new Set<string>();
  for (const secret of secrets) {
    const value = secret?.trim();
    if (!value || value.length < MIN_SECRET_LENGTH) continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  // Longest first, so a secret that contains another is removed whole.
  const literal =
    forms.size === 0
      ? null
      : new RegExp(
          [...forms]
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join('|'),
          'g',
        );
  return (text: string): string => {
    let result = literal ? text.replace(literal, REDACTED) : text;
    for (const [pattern, replacement] of CREDENTIAL_PATTERNS) result = result.replace(pattern, replacement);
    return result;
  };
}

/**
 * Cuts text to at most `maxChars` characters, saying how much was left out. Sanitize before truncating: a cut
 * through the middle of a secret would leave a prefix the sanitizer no longer recognises.
 */
export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  // The note's own length depends on the count it states; two passes settle it.
  let keep = maxChars;
  let note = '';
  for (let pass = 0; pass < 2; pass++) {
    note = `… [${text.length - keep} more characters truncated]`;
    keep = Math.max(0, maxChars - note.length);
  }
  return text.slice(0, keep) + note;
}

/** Text for the job summary's HTML (table cells, details): `&`, `<` and `>` as entities, so it stays text. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Text for an issue's inline code or table cell: a backtick, `|` or line break would break out of it. */
export function inlineText(value: string): string {
  return value.replace(/[`|\r\n]/g, ' ');
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

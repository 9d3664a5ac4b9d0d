/**
 * Signed-style URLs for the sandbox's dataset downloads and submission uploads, shaped like S3 presigned URLs
 * (X-Amz-* query parameters) and checked the way S3 checks them: an expired or altered URL, a different HTTP method,
 * or (for uploads) a Content-Type header that was not part of the signature gets a 403 with an S3 XML error body.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { iso } from './rounds/clock.js';

export const ACCESS_KEY_ID = 'AKIASANDBOXNUMERAI00';

export interface S3Error {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, string>;
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export class UrlSigner {
  private readonly secret: Buffer;

  constructor(
    private readonly now: () => number,
    private readonly ttlSeconds: number,
    secret?: Buffer,
  ) {
    this.secret = secret ?? randomBytes(32);
  }

  private signature(method: string, path: string, date: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`${method}\n${path}\n${date}\n${expires}`).digest('hex');
  }

  /** The query string (without `?`) that signs `method path`. `path` is the URL path, already encoded. */
  sign(method: 'GET' | 'PUT', path: string, ttlSeconds = this.ttlSeconds): string {
    const date = amzDate(this.now());
    const expires = String(ttlSeconds);
    const params = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${ACCESS_KEY_ID}/${date.slice(0, 8)}/us-west-2/s3/aws4_request`,
      'X-Amz-Date': date,
      'X-Amz-Expires': expires,
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': this.signature(method, path, date, expires),
    });
    return params.toString();
  }

  /** Check a request against its signature; null when valid. */
  verify(method: string, path: string, query: URLSearchParams): S3Error | null {
    const date = query.get('X-Amz-Date');
    const expires = query.get('X-Amz-Expires');
    const provided = query.get('X-Amz-Signature');
    if (!date || !expires || !provided || query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      return {
        status: 403,
        code: 'AccessDenied',
        message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
      };
    }
    const expected = Buffer.from(this.signature(method, path, date, expires));
    const got = Buffer.from(provided);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
      return signatureDoesNotMatch(method, path, provided);
    }
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    const signedAt = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
    const expiresAt = signedAt + Number(expires) * 1000;
    const now = this.now();
    if (!(now <= expiresAt)) {
      return {
        status: 403,
        code: 'AccessDenied',
        message: 'Request has expired',
        extra: {
          'X-Amz-Expires': expires,
          Expires: iso(expiresAt),
          ServerTime: iso(now),
        },
      };
    }
    return null;
  }
}

export function signatureDoesNotMatch(method: string, path: string, provided: string): S3Error {
  return {
    status: 403,
    code: 'SignatureDoesNotMatch',
    message:
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    extra: {
      AWSAccessKeyId: ACCESS_KEY_ID,
      StringToSign: `AWS4-HMAC-SHA256\n${method}\n${path}`,
      SignatureProvided: provided,
    },
  };
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The XML body S3 sends with an error. */
export function s3ErrorXml(error: S3Error, requestId: string): string {
  const extra = Object.entries(error.extra ?? {})
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${extra}` +
    `<RequestId>${requestId}</RequestId><HostId>${Buffer.from(requestId).toString('base64')}</HostId></Error>`
  );
}

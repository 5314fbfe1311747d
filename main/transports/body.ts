// Request bodies of the HTTP transport, bounded twice: one body may not exceed what any request can
// legitimately carry (a label PNG, a 100,000-point stroke: a few MB), and all bodies being read at once
// share one budget, so many concurrent large requests cannot add up to gigabytes.
import type http from 'node:http';
import { decodeJson, LongStringError } from '../../shared/contract/codec';

/** Largest body one request may send. */
export const MAX_BODY = 16 * 1024 * 1024;
/** Bytes of request bodies held at once, across all requests, until their responses are sent. */
export const BODY_BUDGET = 48 * 1024 * 1024;

/** Longest string field a request may carry (paths, names, notes); typed-array payloads are exempt. */
export const MAX_STRING_FIELD = 64 * 1024;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 503,
    message: string,
  ) {
    super(message);
  }
}

let held = 0;

/** Bytes of request bodies currently held (for tests). */
export const bodyBytesHeld = (): number => held;

/**
 * The request body as text. Its bytes count against the shared budget until `res` closes; a body over
 * MAX_BODY, or one that does not fit the budget, is refused (413 / 503) without reading it further.
 */
export function readBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) return reject(new BodyError(413, `request body of ${declared} bytes is over the limit of ${MAX_BODY}`));
    let chunks: Buffer[] | null = [];
    let size = 0;
    let mine = 0;
    res.once('close', () => {
      held -= mine;
      mine = 0;
    });
    const refuse = (err: BodyError) => {
      chunks = null;
      held -= mine;
      mine = 0;
      req.pause();
      reject(err);
    };
    req.on('data', (c: Buffer) => {
      if (!chunks) return;
      size += c.length;
      if (size > MAX_BODY) return refuse(new BodyError(413, `request body over the limit of ${MAX_BODY} bytes`));
      if (held + c.length > BODY_BUDGET) return refuse(new BodyError(503, 'the server is reading too many large requests at once; retry shortly'));
      held += c.length;
      mine += c.length;
      chunks.push(c);
    });
    req.on('end', () => chunks && resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', (err) => chunks && refuse(new BodyError(413, err.message)));
  });
}

/** The parsed request body; an over-long string field is a BodyError (400), malformed JSON a SyntaxError. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return decodeJson(text, { maxString: MAX_STRING_FIELD });
  } catch (err) {
    if (err instanceof LongStringError) throw new BodyError(400, err.message);
    throw err;
  }
}

// Errors cross process and network boundaries as plain data, never as thrown objects.
import { z } from 'zod';

export const errorCodes = [
  'validation', // a payload did not match the contract
  'not-found', // a file, dataset, image, run or request name does not exist
  'bad-input', // a file exists but its content is unusable (corrupt PNG, wrong bit depth, ...)
  'conflict', // the operation contradicts current state (run already running, workspace not open)
  'unauthorized',
  'cancelled',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const appErrorSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  /** Dotted path of the offending field for validation errors, or the offending file path. */
  where: z.string().optional(),
  details: z.array(z.string()).optional(),
});
export type AppErrorData = z.infer<typeof appErrorSchema>;

/** Thrown inside main-side services; transports turn it into AppErrorData. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly where: string | undefined;
  readonly details: string[] | undefined;
  constructor(code: ErrorCode, message: string, opts: { where?: string; details?: string[] } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.where = opts.where;
    this.details = opts.details;
  }
  toData(): AppErrorData {
    return { code: this.code, message: this.message, where: this.where, details: this.details };
  }
  static fromData(data: AppErrorData): AppError {
    return new AppError(data.code, data.message, { where: data.where, details: data.details });
  }
}

/** Any thrown value as contract data: AppErrors keep their code, everything else is 'internal'. */
export function toAppErrorData(err: unknown): AppErrorData {
  if (err instanceof AppError) return err.toData();
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}

/** Longest piece of caller-supplied text an error repeats; the rest is cut and counted. */
export const ECHO_LIMIT = 200;
const MAX_ISSUES = 20;

/** `text` cut to `limit` characters, saying how much was left out. */
export const clip = (text: string, limit = ECHO_LIMIT): string =>
  text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters)`;

/**
 * Error data small enough to send back whatever the request carried: messages, field paths and details
 * echo values a caller chose (ids, keys, paths), which may be megabytes long.
 */
export function boundErrorData(e: AppErrorData): AppErrorData {
  const details = e.details && e.details.length > MAX_ISSUES ? [...e.details.slice(0, MAX_ISSUES), `… ${e.details.length - MAX_ISSUES} more`] : e.details;
  return {
    code: e.code,
    message: clip(e.message, 4 * ECHO_LIMIT),
    ...(e.where !== undefined ? { where: clip(e.where) } : {}),
    ...(details ? { details: details.map((d) => clip(d, 2 * ECHO_LIMIT)) } : {}),
  };
}

/** A zod failure as one clear error naming each offending field (paths and messages cut to a readable length). */
export function validationError(context: string, issues: readonly z.core.$ZodIssue[]): AppError {
  const pathOf = (i: z.core.$ZodIssue) => clip(i.path.map(String).join('.'));
  const shown = issues.slice(0, MAX_ISSUES);
  const lines = shown.map((i) => `${i.path.length ? pathOf(i) : '(root)'}: ${clip(i.message)}`);
  if (issues.length > shown.length) lines.push(`… ${issues.length - shown.length} more problems`);
  const first = issues[0];
  return new AppError('validation', `${context}: ${lines.join('; ')}`, {
    where: first && first.path.length ? pathOf(first) : undefined,
    details: lines,
  });
}

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

/** A zod failure as one clear error naming each offending field. */
export function validationError(context: string, issues: readonly z.core.$ZodIssue[]): AppError {
  const lines = issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const first = issues[0];
  return new AppError('validation', `${context}: ${lines.join('; ')}`, {
    where: first && first.path.length ? first.path.join('.') : undefined,
    details: lines,
  });
}

// What a transport hands back for every request: a value or contract error data, never a thrown object.
import { z } from 'zod';
import { appErrorSchema, type AppErrorData } from './errors';

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorData };

/** The envelope only; the value is checked against the request's own response schema by the caller. */
export const resultEnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: appErrorSchema }),
]);

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (error: AppErrorData): Result<never> => ({ ok: false, error });

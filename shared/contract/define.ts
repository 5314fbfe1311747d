// The building blocks of the contract: a request pairs a name with request and response schemas,
// an event pairs a name with a payload schema. Everything crossing a process boundary is parsed
// against these on arrival; TypeScript types are inferred from them, never declared twice.
import type { z } from 'zod';

export interface RequestSpec<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly request: Req;
  readonly response: Res;
  /** One line for docs and the API listing. */
  readonly summary: string;
}

export const request = <Req extends z.ZodType, Res extends z.ZodType>(
  summary: string,
  requestSchema: Req,
  responseSchema: Res,
): RequestSpec<Req, Res> => ({ summary, request: requestSchema, response: responseSchema });

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly payload: P;
  readonly summary: string;
}

export const event = <P extends z.ZodType>(summary: string, payload: P): EventSpec<P> => ({ summary, payload });

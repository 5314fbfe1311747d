// Messages between the supervisor (main) and a run process. Both directions are parsed on arrival:
// a process that sends garbage is treated as crashed rather than trusted.
import { z } from 'zod';
import { evalResultSchema, runProgressSchema } from '../../shared/contract/runs';

export const childMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number().int() }),
  z.object({ type: z.literal('progress'), progress: runProgressSchema }),
  z.object({ type: z.literal('log'), line: z.string() }),
  z.object({ type: z.literal('validation'), iteration: z.number().int(), result: evalResultSchema }),
  z.object({ type: z.literal('checkpoint'), iteration: z.number().int() }),
  z.object({ type: z.literal('done'), state: z.enum(['succeeded', 'cancelled', 'failed']), message: z.string().optional() }),
]);
export type ChildMessage = z.infer<typeof childMessageSchema>;

export const parentMessageSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('cancel') })]);
export type ParentMessage = z.infer<typeof parentMessageSchema>;

// The single door into the services for every transport: a request name and an untrusted payload go
// in, a Result comes out. The payload is parsed against the contract before any handler runs, and the
// handler's answer is checked against the response schema before it leaves.
import { isRequestName, requests, type RequestName } from '../../shared/contract/index';
import { AppError, boundErrorData, clip, toAppErrorData, validationError } from '../../shared/contract/errors';
import type { Result } from '../../shared/contract/result';
import type { ServiceContext } from '../services/context';
import type { Handler, Handlers } from '../services/handler';

export async function dispatch(handlers: Handlers, ctx: ServiceContext, name: string, payload: unknown): Promise<Result<unknown>> {
  if (!isRequestName(name)) {
    return { ok: false, error: new AppError('not-found', `unknown request '${clip(name)}'`, { where: 'name' }).toData() };
  }
  const spec = requests[name];
  const parsed = spec.request.safeParse(payload);
  if (!parsed.success) return { ok: false, error: validationError(`invalid ${name} request`, parsed.error.issues).toData() };
  try {
    // The mapped Handlers type cannot be narrowed per name here; the contract parse above is what makes this safe.
    const handler = handlers[name] as Handler<RequestName> as (req: unknown, ctx: ServiceContext) => Promise<unknown>;
    const value = await handler(parsed.data, ctx);
    const checked = spec.response.safeParse(value);
    if (!checked.success) {
      // A service broke the contract: report it as an internal error, not as the caller's fault.
      const err = validationError(`${name} response broke the contract`, checked.error.issues);
      return { ok: false, error: { ...err.toData(), code: 'internal' } };
    }
    return { ok: true, value: checked.data };
  } catch (err) {
    // Handlers quote ids and paths from the request in their messages: never send back more than a line of them.
    const data = boundErrorData(toAppErrorData(err));
    if (data.code === 'internal') console.error(`[${name}]`, err instanceof Error ? clip(err.stack ?? err.message, 4000) : data.message);
    return { ok: false, error: data };
  }
}

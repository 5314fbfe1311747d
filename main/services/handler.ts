// The shape every service handler has. Kept apart from registry.ts so services can import the types
// without importing each other through the registry.
import type { ParsedRequestOf, RequestName, ResponseOf } from '../../shared/contract/index';
import type { ServiceContext } from './context';

export type Handler<K extends RequestName> = (req: ParsedRequestOf<K>, ctx: ServiceContext) => Promise<ResponseOf<K>>;

export type Handlers = { [K in RequestName]: Handler<K> };

/** The handlers for every request whose name starts with one of the prefixes: a service must cover its feature. */
export type HandlersFor<Prefix extends string> = {
  [K in RequestName as K extends `${Prefix}${string}` ? K : never]: Handler<K>;
};

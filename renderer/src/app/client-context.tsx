// Makes the contract client available to every feature without prop drilling.
import { createContext, useContext, type ReactNode } from 'react';
import type { ContractClient } from '../../../shared/contract/index';

const ClientContext = createContext<ContractClient | null>(null);

export function ClientProvider({ client, children }: { client: ContractClient; children: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

export function useClient(): ContractClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useClient outside ClientProvider');
  return c;
}

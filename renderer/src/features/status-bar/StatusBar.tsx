// The bottom line: which transport and compute backend main has, and the latest log line from main.
import { useEffect, useState } from 'react';
import type { ResponseOf } from '../../../../shared/contract/index';
import { useClient } from '../../app/client-context';

type Info = ResponseOf<'system.info'>;

export function StatusBar({ message }: { message?: string }) {
  const client = useClient();
  const [info, setInfo] = useState<Info | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [log, setLog] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    client.call('system.info', {}).then(
      (i) => live && setInfo(i),
      (e: unknown) => live && setError(String((e as Error).message ?? e)),
    );
    const off = client.subscribe('system.log', (l) => setLog(`${l.level}: ${l.message}`));
    return () => {
      live = false;
      off();
    };
  }, [client]);

  const b = info?.backend;
  return (
    <footer className="status-bar">
      <span data-testid="status-backend" title={info ? [info.summary, ...(b?.skipped.map((s) => `${s.provider}: ${s.reason}`) ?? [])].join('\n') : undefined}>
        {error
          ? `backend: unknown (${error})`
          : !info
            ? 'backend: …'
            : b
              ? `backend: ${b.name} · ${b.gpu ? 'GPU' : 'no GPU'}${b.name === 'webgpu' && b.adapter ? ` (${b.adapter.software ? 'software ' : ''}${b.adapter.device})` : ''} · ${b.threads} thread${b.threads === 1 ? '' : 's'}`
              : 'backend: none available'}
      </span>
      {info && <span data-testid="status-transport">{info.transport === 'ipc' ? 'desktop (IPC)' : 'browser (HTTP)'}</span>}
      <span className="status-message">{message ?? log ?? ''}</span>
      {info && <span className="version">v{info.appVersion} · node {info.node}</span>}
    </footer>
  );
}

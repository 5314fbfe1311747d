// An export folder's files as download links (browser mode: GET /download/<exportId>/<path>, authorised
// by the page's cookie). In the desktop app the folder is on this machine, so its path is what counts.
import { useState } from 'react';
import { httpRoute, type ContractClient, type ResponseOf } from '../../../../shared/contract/index';

/** Downloads exist where the page came from the HTTP server. */
export const canDownload = (): boolean => window.location.protocol === 'http:' || window.location.protocol === 'https:';

const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} kB` : `${n} B`);

export function ExportFiles(props: { client: ContractClient; exportId: string }) {
  const [files, setFiles] = useState<ResponseOf<'export.files'> | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = () => {
    setOpen((o) => !o);
    if (!files) props.client.call('export.files', { exportId: props.exportId }).then(setFiles, (e: Error) => setError(e.message));
  };
  return (
    <div className="export-files" data-testid="export-downloads" data-export={props.exportId}>
      <button type="button" data-testid="export-downloads-toggle" aria-expanded={open} onClick={toggle}>
        {open ? 'hide files' : 'download…'}
      </button>
      {open && error && <span className="error"> {error}</span>}
      {open && files && (
        <ul>
          {files.files.map((f) => (
            <li key={f.path}>
              <a href={httpRoute.download(props.exportId, f.path)} download data-path={f.path}>
                {f.path}
              </a>{' '}
              <span className="muted">{size(f.bytes)}</span>
            </li>
          ))}
          {files.truncated && <li className="muted">… more files than listed; the folder is on the server</li>}
        </ul>
      )}
    </div>
  );
}

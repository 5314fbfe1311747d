// Checkpoint import by path. import.checkpoint reads a file on the server side, so a drop is only
// useful when it carries a path (a file manager's file:// URI, or a dragged path string); a bare File
// has none in a sandboxed renderer (Electron's webUtils.getPathForFile is not exposed by the preload),
// and its bytes cannot be sent because the contract takes a path. In browser mode a file can be uploaded
// instead (PUT /upload/<name> stores it in the workspace's uploads/ and answers its server-side path).
import { useState, type DragEvent } from 'react';
import { httpRoute, type ContractClient, type ResponseOf } from '../../../../shared/contract/index';
import { canDownload as isBrowserMode } from './ExportFiles';
import { ProgressLine, useJob } from './progress';
import { importFacts, keyGroups, pathFromDrop } from './report';

export function ImportSection(props: { client: ContractClient; onDone: () => void }) {
  const { client } = props;
  const [path, setPath] = useState('');
  const [arch, setArch] = useState('resnet101');
  const [classes, setClasses] = useState(19);
  const [bnPretrain, setBnPretrain] = useState(false);
  const [hover, setHover] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const { busy, result, error, progress, start: startJob } = useJob<ResponseOf<'import.checkpoint'>>(client, props.onDone);
  const [uploading, setUploading] = useState<string | null>(null);

  const upload = async (file: File) => {
    setUploading(`uploading ${file.name} (${(file.size / (1 << 20)).toFixed(1)} MB)…`);
    setNote(null);
    try {
      const token = new URL(window.location.href).searchParams.get('token');
      const res = await fetch(httpRoute.upload(file.name), { method: 'PUT', body: file, headers: token ? { 'x-proda-token': token } : {} });
      const body = (await res.json()) as { ok: boolean; value?: { path: string }; error?: { message: string } };
      if (!body.ok || !body.value) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      setPath(body.value.path);
      setNote(`uploaded ${file.name} to the workbench: ${body.value.path}`);
    } catch (err) {
      setNote(`upload of ${file.name} failed: ${(err as Error).message}`);
    } finally {
      setUploading(null);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setHover(false);
    const p = pathFromDrop({ uriList: e.dataTransfer.getData('text/uri-list'), text: e.dataTransfer.getData('text/plain') });
    const f = e.dataTransfer.files[0];
    if (p) {
      setPath(p);
      setNote(null);
    } else if (f) {
      setNote(`“${f.name}” was dropped without its path: the import reads a file on the workbench side, so type or paste its full path.`);
    }
  };

  const start = () => {
    const importId = `import-ui-${Date.now().toString(36)}`;
    startJob(importId, () => client.call('import.checkpoint', { path: path.trim(), network: { arch, classes, bnPretrain }, importId }));
  };

  return (
    <section data-testid="import-section">
      <h3>Import a PyTorch checkpoint</h3>
      <div
        data-testid="import-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setHover(true);
        }}
        onDragLeave={() => setHover(false)}
        onDrop={onDrop}
        style={{ border: `1px dashed ${hover ? 'var(--accent)' : 'var(--line)'}`, borderRadius: 4, padding: 8, display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'center' }}
      >
        <input data-testid="import-path" placeholder="/path/to/checkpoint.pkl (or drop a file from the file manager)" value={path} onChange={(e) => setPath(e.target.value)} style={{ flex: '1 1 320px' }} />
        <label>
          network{' '}
          <input data-testid="import-arch" value={arch} onChange={(e) => setArch(e.target.value)} style={{ width: 90 }} />
        </label>
        <label>
          classes <input type="number" min={2} max={256} value={classes} onChange={(e) => setClasses(Number(e.target.value) || 19)} style={{ width: 60 }} />
        </label>
        <label>
          <input type="checkbox" checked={bnPretrain} onChange={(e) => setBnPretrain(e.target.checked)} /> bn_pretrain
        </label>
        {isBrowserMode() && (
          <label className="upload">
            or upload{' '}
            <input type="file" data-testid="import-upload" accept=".pkl,.pth,.pt,.tar,.npy,.safetensors" disabled={busy || uploading !== null} onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
          </label>
        )}
        <button data-testid="import-start" disabled={busy || uploading !== null || !path.trim()} onClick={start}>
          {busy ? 'importing…' : 'Import'}
        </button>
      </div>
      {uploading && <p data-testid="import-uploading">{uploading}</p>}
      {note && (
        <p className="muted" data-testid="import-note">
          {note}
        </p>
      )}
      {busy && <ProgressLine progress={progress} testId="import-progress" />}
      {error && (
        <p className="error" data-testid="import-error">
          {error}
        </p>
      )}
      {result && (
        <div data-testid="import-report" data-matched={result.report.matched.length} data-missing={result.report.missing.length}>
          <p>{result.summary}</p>
          <table>
            <tbody>
              {importFacts(result.report).map(([k, v]) => (
                <tr key={k}>
                  <th style={{ textAlign: 'left' }}>{k}</th>
                  <td data-fact={k}>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {keyGroups(result.report).map((g) => (
            <details key={g.kind} data-group={g.kind} data-count={g.keys.length} open={g.kind !== 'matched' && g.kind !== 'ignored' && g.keys.length > 0 && g.keys.length <= 50}>
              <summary>
                {g.kind}: {g.keys.length}
              </summary>
              <ul>
                {g.keys.map((k) => (
                  <li key={k}>
                    <code>{k}</code>
                  </li>
                ))}
              </ul>
            </details>
          ))}
          <p className="muted">
            imported into <code>{result.dir}</code>
          </p>
        </div>
      )}
    </section>
  );
}

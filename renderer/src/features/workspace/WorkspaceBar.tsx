// Shows the open workspace and opens or creates another by folder path (browser mode has no native
// folder dialog, and the server's file system is what matters anyway). A folder with runs but no
// workspace.json (what an older `proda` left) is offered for adoption instead of only refused.
import { useState, type FormEvent } from 'react';
import type { FolderProbe, WorkspaceInfo } from '../../../../shared/contract/workspace';
import { useClient } from '../../app/client-context';

interface Props {
  workspace: WorkspaceInfo | null;
  onChanged: (ws: WorkspaceInfo) => void;
}

export function WorkspaceBar({ workspace, onChanged }: Props) {
  const client = useClient();
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState<null | 'open' | 'create'>(null);
  const [error, setError] = useState<string | null>(null);
  const [offer, setOffer] = useState<FolderProbe | null>(null);

  const run = async (kind: 'open' | 'create' | 'adopt') => {
    setBusy(kind === 'adopt' ? 'open' : kind);
    setError(null);
    // The offer stays up (its button disabled) until the adoption answered: it disappears once workspace.json exists.
    if (kind !== 'adopt') setOffer(null);
    try {
      const ws =
        kind === 'create'
          ? await client.call('workspace.create', { path, demo: true })
          : await client.call('workspace.open', { path, adopt: kind === 'adopt' });
      setOffer(null);
      onChanged(ws);
      setPath('');
    } catch (e) {
      setOffer(null);
      const probe = kind === 'open' ? await client.call('workspace.probe', { path }).catch(() => null) : null;
      if (probe?.kind === 'adoptable') setOffer(probe);
      else setError(String((e as Error).message ?? e));
    } finally {
      setBusy(null);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run('open');
  };

  return (
    <div className="workspace-bar">
      <span className="workspace-name" data-testid="workspace-name" title={workspace?.path}>
        {workspace ? workspace.name : 'No workspace open'}
      </span>
      <form onSubmit={submit}>
        <input
          data-testid="workspace-path"
          aria-label="workspace folder"
          placeholder="/path/to/workspace"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          spellCheck={false}
        />
        <button type="submit" data-testid="workspace-open" disabled={!path.trim() || busy !== null}>
          {busy === 'open' ? 'Opening…' : 'Open'}
        </button>
        <button
          type="button"
          data-testid="workspace-create"
          disabled={!path.trim() || busy !== null}
          title="Create a new workspace with the built-in demo benchmark"
          onClick={() => void run('create')}
        >
          {busy === 'create' ? 'Creating…' : 'Create'}
        </button>
      </form>
      {offer && (
        <span className="adopt-offer" data-testid="workspace-adopt-offer">
          {offer.path} has no workspace.json but holds {offer.runs} runs and {offer.datasets} datasets.{' '}
          <button type="button" data-testid="workspace-adopt" disabled={busy !== null} onClick={() => void run('adopt')}>
            {busy === 'open' ? 'Adopting…' : 'Adopt it as a workspace'}
          </button>{' '}
          <button type="button" onClick={() => setOffer(null)}>
            Cancel
          </button>
        </span>
      )}
      {error && (
        <span className="error" data-testid="workspace-error">
          {error}
        </span>
      )}
    </div>
  );
}

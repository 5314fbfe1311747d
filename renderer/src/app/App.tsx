// The app shell: workspace bar, dataset picker and panel toggles on top, the grid and one right-hand
// panel in the middle, the status bar at the bottom. Features own their panels (registered in
// panels.tsx); the shell only wires workspace, dataset and image selection.
import { useEffect, useState } from 'react';
import { classSets } from '../../../shared/classes';
import type { WorkspaceInfo } from '../../../shared/contract/workspace';
import type { ImageEntry } from '../../../shared/datasets';
import { DatasetPicker } from '../features/datasets/DatasetPicker';
import { ThumbnailGrid } from '../features/grid/ThumbnailGrid';
import { ImageView } from '../features/image-view/ImageView';
import { StatusBar } from '../features/status-bar/StatusBar';
import { WorkspaceBar } from '../features/workspace/WorkspaceBar';
import { useClient } from './client-context';
import { panels, type PanelContext } from './panels';

export function App() {
  const client = useClient();
  const [workspace, setWorkspace] = useState<WorkspaceInfo | null>(null);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [image, setImage] = useState<ImageEntry | null>(null);
  const [activePanel, setActivePanel] = useState<string | null>(null);
  const [message, setMessage] = useState<string | undefined>();
  // Beside a viewer the grid can be hidden (it stays mounted, keeping its scroll) or resized by its edge.
  const [gridHidden, setGridHidden] = useState(false);

  useEffect(() => {
    client.call('workspace.current', {}).then(
      (ws) => ws && setWorkspace(ws),
      (e: unknown) => setMessage(`cannot reach main: ${String((e as Error).message ?? e)}`),
    );
    return client.subscribe('workspace.changed', setWorkspace);
  }, [client]);

  // Keep the selected dataset if the new workspace still has it, else take the first one.
  useEffect(() => {
    const ids = workspace?.datasets.map((d) => d.id) ?? [];
    setDatasetId((cur) => (cur && ids.includes(cur) ? cur : (ids[0] ?? null)));
  }, [workspace]);
  useEffect(() => setImage(null), [datasetId, workspace?.path]);

  const dataset = workspace?.datasets.find((d) => d.id === datasetId) ?? null;
  const ctx: PanelContext | null =
    workspace && dataset
      ? { client, workspace, dataset, image, selectImage: setImage, close: () => setActivePanel(null) }
      : null;
  const offered = ctx ? panels.filter((p) => p.available(ctx)) : [];
  const active = ctx ? offered.find((p) => p.id === activePanel) : undefined;

  return (
    <div className="app">
      <header className="top-bar">
        <strong className="brand">ProDA Workbench</strong>
        <WorkspaceBar workspace={workspace} onChanged={setWorkspace} />
        {workspace && <DatasetPicker datasets={workspace.datasets} value={datasetId} onChange={setDatasetId} />}
        {offered.map((p) => (
          <button
            key={p.id}
            type="button"
            data-testid={p.testId}
            aria-pressed={p === active}
            onClick={() => setActivePanel((cur) => (cur === p.id ? null : p.id))}
          >
            {p === active ? p.activeLabel : p.label}
          </button>
        ))}
      </header>
      <main className={`content${image || active ? ' with-view' : ''}${gridHidden && (image || active) ? ' grid-hidden' : ''}`}>
        {workspace && dataset && gridHidden && (image || active) && (
          <button type="button" className="grid-show" data-testid="grid-show" title="Show the image grid" onClick={() => setGridHidden(false)}>
            ▸ grid
          </button>
        )}
        {workspace && dataset ? (
          <ThumbnailGrid
            key={`${workspace.path}\n${dataset.id}`}
            datasetId={dataset.id}
            selectedId={image?.id ?? null}
            onOpen={setImage}
            onCollapse={image || active ? () => setGridHidden(true) : undefined}
            classNames={classSets[dataset.classSet].names}
          />
        ) : (
          <div className="empty">{workspace ? 'This workspace has no datasets yet.' : 'Open or create a workspace to begin.'}</div>
        )}
        {active && ctx
          ? active.render(ctx)
          : image && dataset && <ImageView datasetId={dataset.id} classSet={dataset.classSet} entry={image} onClose={() => setImage(null)} />}
      </main>
      <StatusBar message={message} />
    </div>
  );
}

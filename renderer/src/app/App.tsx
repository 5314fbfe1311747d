// The app shell: workspace bar and dataset picker on top, the grid and the image view in the middle,
// the status bar at the bottom. Features own their panels; the shell only wires selection state.
import { useEffect, useState } from 'react';
import type { WorkspaceInfo } from '../../../shared/contract/workspace';
import type { ImageEntry } from '../../../shared/datasets';
import { AnnotationEditor } from '../features/annotation/AnnotationEditor';
import { DatasetPicker } from '../features/datasets/DatasetPicker';
import { ThumbnailGrid } from '../features/grid/ThumbnailGrid';
import { ImageView } from '../features/image-view/ImageView';
import { InspectorWorkspace } from '../features/inspector/InspectorWorkspace';
import { StatusBar } from '../features/status-bar/StatusBar';
import { WorkspaceBar } from '../features/workspace/WorkspaceBar';
import { useClient } from './client-context';

export function App() {
  const client = useClient();
  const [workspace, setWorkspace] = useState<WorkspaceInfo | null>(null);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [image, setImage] = useState<ImageEntry | null>(null);
  const [message, setMessage] = useState<string | undefined>();
  const [annotating, setAnnotating] = useState(false);
  const [inspecting, setInspecting] = useState(false);

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

  return (
    <div className="app">
      <header className="top-bar">
        <strong className="brand">ProDA Workbench</strong>
        <WorkspaceBar workspace={workspace} onChanged={setWorkspace} />
        {workspace && <DatasetPicker datasets={workspace.datasets} value={datasetId} onChange={setDatasetId} />}
        {workspace && datasetId && <button type="button" data-testid="inspect-toggle" onClick={() => setInspecting((i) => !i)}>{inspecting ? 'close inspector' : 'inspect'}</button>}
        {image && <button type="button" data-testid="annotate-toggle" onClick={() => setAnnotating((a) => !a)}>{annotating ? 'view' : 'annotate'}</button>}
      </header>
      <main className={`content${image || inspecting ? ' with-view' : ''}`}>
        {workspace && datasetId ? (
          <ThumbnailGrid key={`${workspace.path}\n${datasetId}`} datasetId={datasetId} selectedId={image?.id ?? null} onOpen={setImage} />
        ) : (
          <div className="empty">{workspace ? 'This workspace has no datasets yet.' : 'Open or create a workspace to begin.'}</div>
        )}
        {inspecting && workspace && datasetId ? (
          <InspectorWorkspace client={client} workspace={workspace} datasetId={datasetId} imageId={image?.id ?? null} onSelectImage={(id) => setImage({ id, name: id, imagePath: id, labelPath: null })} />
        ) : image && datasetId && workspace && annotating ? (
          <AnnotationEditor client={client} datasetId={datasetId} imageId={image.id} classSet={workspace.datasets.find((d) => d.id === datasetId)?.classSet ?? workspace.classSet} onClose={() => setAnnotating(false)} />
        ) : (
          image && datasetId && <ImageView datasetId={datasetId} entry={image} onClose={() => setImage(null)} />
        )}
      </main>
      <StatusBar message={message} />
    </div>
  );
}

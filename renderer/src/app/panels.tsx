// The feature panels that can take the right-hand side of the shell. Each feature adds ONE entry here
// (and owns everything inside its render); the shell draws a toggle button per available panel and
// shows the quick image view when none is active. Keep entries in header order.
import type { ReactNode } from 'react';
import type { ContractClient } from '../../../shared/contract/index';
import type { WorkspaceInfo } from '../../../shared/contract/workspace';
import type { DatasetRef, ImageEntry } from '../../../shared/datasets';
import { AnnotationEditor } from '../features/annotation/AnnotationEditor';
import { ExportPanel } from '../features/export/ExportPanel';
import { InspectorWorkspace } from '../features/inspector/InspectorWorkspace';

export interface PanelContext {
  client: ContractClient;
  workspace: WorkspaceInfo;
  dataset: DatasetRef;
  /** The image picked in the grid, if any. */
  image: ImageEntry | null;
  selectImage: (entry: ImageEntry | null) => void;
  /** Deactivates this panel (back to the image view). */
  close: () => void;
}

export interface Panel {
  id: string;
  /** Button text while inactive and while active. */
  label: string;
  activeLabel: string;
  /** data-testid of the toggle button (e2e specs rely on it). */
  testId: string;
  /** Whether the toggle is offered in this state (e.g. only with an image selected). */
  available: (ctx: PanelContext) => boolean;
  render: (ctx: PanelContext) => ReactNode;
}

export const panels: Panel[] = [
  {
    id: 'inspect',
    label: 'inspect',
    activeLabel: 'close inspector',
    testId: 'inspect-toggle',
    available: () => true,
    render: (c) => (
      <InspectorWorkspace
        client={c.client}
        workspace={c.workspace}
        datasetId={c.dataset.id}
        imageId={c.image?.id ?? null}
        onSelectImage={(id) => c.selectImage({ id, name: id, imagePath: id, labelPath: null })}
      />
    ),
  },
  {
    id: 'annotate',
    label: 'annotate',
    activeLabel: 'view',
    testId: 'annotate-toggle',
    available: (c) => c.image !== null,
    render: (c) =>
      c.image && <AnnotationEditor client={c.client} datasetId={c.dataset.id} imageId={c.image.id} classSet={c.dataset.classSet} onClose={c.close} />,
  },
  { id: 'export', label: 'export / import', activeLabel: 'close export', testId: 'export-toggle', available: () => true, render: (c) => <ExportPanel client={c.client} datasetId={c.dataset.id} /> },
];

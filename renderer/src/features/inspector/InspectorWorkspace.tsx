// The inspector as a workspace panel: choose a map source (a run, an imported checkpoint, or a folder of
// official ProDA artifacts), then inspect one image, triage the dataset, read the confusion matrix and per-class
// IoU, or start and watch runs. Every tab opens images in the same viewer.
import { useEffect, useMemo, useState } from 'react';
import { classSets } from '../../../../shared/classes';
import type { ContractClient } from '../../../../shared/contract/index';
import { IMPORT_PREFIX } from '../../../../shared/contract/ids';
import type { ImageStats, MapSource } from '../../../../shared/contract/maps';
import type { RunSummary } from '../../../../shared/contract/runs';
import type { WorkspaceInfo } from '../../../../shared/contract/workspace';
import { createStore } from '../viewer/store';
import { createViewStore } from '../viewer/view-store';
import { initialViewerState } from '../viewer/viewer-state';
import { ConfusionMatrix } from '../triage/ConfusionMatrix';
import { IouBars } from '../triage/IouBars';
import { TriagePanel } from '../triage/TriagePanel';
import { nextWorst } from '../triage/triage';
import { RunsPanel } from '../runs/RunsPanel';
import { InspectorView } from './InspectorView';

export type InspectorTab = 'inspect' | 'triage' | 'confusion' | 'iou' | 'runs';
const tabs: InspectorTab[] = ['inspect', 'triage', 'confusion', 'iou', 'runs'];

const sourceKey = (s: MapSource | null) => (s ? (s.kind === 'run' ? `run:${s.runId}` : `dir:${s.dir}`) : '');

function SourcePicker(props: {
  runs: readonly RunSummary[];
  /** Import ids (imports/<id>/): a model source is `import:<id>`, carried as a run source. */
  imports: readonly string[];
  /** Asks for a fresh list of runs and imports (when the picker is about to open). */
  onRefresh?: () => void;
  value: MapSource | null;
  onChange: (s: MapSource | null) => void;
  testId: string;
  allowNone?: boolean;
}) {
  const [dir, setDir] = useState('');
  return (
    <span className="source-picker">
      <select
        data-testid={props.testId}
        onFocus={props.onRefresh}
        value={sourceKey(props.value)}
        onChange={(e) => {
          const v = e.target.value;
          if (!v) props.onChange(null);
          else if (v.startsWith('run:')) props.onChange({ kind: 'run', runId: v.slice(4) });
          else props.onChange({ kind: 'artifacts', dir: v.slice(4) });
        }}
      >
        <option value="">{props.allowNone ? '— none —' : '— choose maps —'}</option>
        {props.runs.map((r) => (
          <option key={r.id} value={`run:${r.id}`}>
            {r.id} · {r.stage} · {r.state}
          </option>
        ))}
        {props.imports.map((id) => (
          <option key={`import:${id}`} value={`run:${IMPORT_PREFIX}${id}`}>
            {IMPORT_PREFIX}
            {id} · imported checkpoint
          </option>
        ))}
        {props.value?.kind === 'artifacts' && <option value={sourceKey(props.value)}>{props.value.dir}</option>}
      </select>
      <input placeholder="or a ProDA artifacts folder" value={dir} size={22} onChange={(e) => setDir(e.target.value)} />
      <button disabled={!dir.trim()} onClick={() => props.onChange({ kind: 'artifacts', dir: dir.trim() })}>
        use
      </button>
    </span>
  );
}

export function InspectorWorkspace(props: {
  client: ContractClient;
  workspace: WorkspaceInfo;
  datasetId: string;
  imageId: string | null;
  onSelectImage: (imageId: string) => void;
  initialTab?: InspectorTab;
}) {
  const { client, workspace, datasetId, imageId } = props;
  const ds = workspace.datasets.find((d) => d.id === datasetId);
  const palette = classSets[ds?.classSet ?? workspace.classSet].palette;
  const [tab, setTab] = useState<InspectorTab>(props.initialTab ?? 'inspect');
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [imports, setImports] = useState<string[]>([]);
  const [source, setSource] = useState<MapSource | null>(null);
  const [compareTo, setCompareTo] = useState<MapSource | null>(null);
  const [ids, setIds] = useState<string[]>([]);
  const [stats, setStats] = useState<ImageStats[]>([]);
  // Settings and zoom survive switching images and tabs.
  const settings = useMemo(() => createStore(initialViewerState()), []);
  const viewStore = useMemo(() => createViewStore(), []);

  useEffect(() => {
    const load = () =>
      client.call('runs.list', {}).then((rs) => {
        setRuns(rs);
        // Default to the newest finished stage-1 run (it has denoised labels), else any finished model run.
        const done = rs.filter((r) => r.state === 'succeeded' && r.stage !== 'eval');
        const pick = done.find((r) => r.stage === 'stage1') ?? done[0];
        setSource((cur) => cur ?? (pick ? { kind: 'run', runId: pick.id } : null));
      }, () => {});
    void load();
    return client.subscribe('run.state', () => void load());
  }, [client]);

  const loadImports = () =>
    void client.call('export.list', {}).then(
      (r) => setImports(r.entries.filter((e) => e.kind === 'import').map((e) => e.id)),
      () => {},
    );
  useEffect(loadImports, [client]);

  useEffect(() => {
    client.call('images.list', { datasetId, offset: 0, limit: 5000 }).then((r) => setIds(r.items.map((e) => e.id)), () => setIds([]));
    setStats([]);
  }, [client, datasetId]);

  const navigate = async (where: 'next' | 'prev' | 'worst') => {
    if (where === 'worst') {
      let s = stats;
      if (s.length === 0 && source) {
        s = (await client.call('maps.stats', { source, datasetId })).images;
        setStats(s);
      }
      const id = nextWorst(s, imageId);
      if (id) props.onSelectImage(id);
      return;
    }
    if (ids.length === 0) return;
    const i = imageId ? ids.indexOf(imageId) : -1;
    props.onSelectImage(ids[(i + (where === 'next' ? 1 : ids.length - 1)) % ids.length]);
  };
  const open = (id: string) => {
    props.onSelectImage(id);
    setTab('inspect');
  };
  const classNames = classSets[ds?.classSet ?? workspace.classSet].names;

  return (
    <div className="inspector-workspace" data-testid="inspector-workspace" style={{ display: 'flex', flexDirection: 'column', flex: 1, minWidth: 0, height: '100%', minHeight: 0 }}>
      <div className="inspector-tabs" style={{ display: 'flex', gap: 4, alignItems: 'center', padding: 4, flexWrap: 'wrap' }}>
        {tabs.map((t) => (
          <button key={t} data-testid={`tab-${t}`} className={t === tab ? 'active' : ''} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
        <span style={{ marginLeft: 12 }}>{tab === 'iou' ? 'A' : 'maps'}</span>
        <SourcePicker runs={runs} imports={imports} onRefresh={loadImports} value={source} onChange={setSource} testId="map-source" />
        {tab === 'iou' && (
          <>
            B <SourcePicker runs={runs} imports={imports} onRefresh={loadImports} value={compareTo} onChange={setCompareTo} testId="map-source-b" allowNone />
          </>
        )}
      </div>
      <div style={{ flex: 1, minHeight: 0, overflow: tab === 'inspect' ? 'hidden' : 'auto' }}>
        {tab === 'inspect' &&
          (imageId ? (
            <InspectorView
              client={client}
              source={source}
              image={{ datasetId, imageId }}
              palette={palette}
              onNavigate={navigate}
              settings={settings}
              viewStore={viewStore}
              position={{ index: ids.indexOf(imageId), count: ids.length }}
            />
          ) : (
            <div className="empty">Pick an image in the grid, or open one from triage.</div>
          ))}
        {tab === 'triage' && (source ? <TriagePanel client={client} source={source} datasetId={datasetId} selected={imageId} onOpen={open} onStats={setStats} classNames={classNames} /> : <div className="empty">Choose a map source.</div>)}
        {tab === 'confusion' && (source ? <ConfusionMatrix client={client} source={source} datasetId={datasetId} onOpen={open} /> : <div className="empty">Choose a map source.</div>)}
        {tab === 'iou' && (source ? <IouBars client={client} a={source} b={compareTo} datasetId={datasetId} /> : <div className="empty">Choose a map source.</div>)}
        {tab === 'runs' && (
          <RunsPanel
            client={client}
            datasets={workspace.datasets}
            preset={workspace.preset}
            onOpenRun={(runId) => {
              setSource({ kind: 'run', runId });
              setTab('inspect');
            }}
          />
        )}
      </div>
    </div>
  );
}

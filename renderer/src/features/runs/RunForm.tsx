// Start a stage-1 or distillation run from a form generated from its config schema, with presets,
// per-field validation messages from the same schema, and the service's warnings after starting.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ContractClient } from '../../../../shared/contract/index';
import type { DatasetRef } from '../../../../shared/datasets';
import { distillConfigSchema, stage1ConfigSchema } from '../../../../shared/runs-config';
import type { RunSummary } from '../../../../shared/contract/runs';
import { presetNames, presetValues } from './presets';
import { proposeRun, runLabel, runRefs } from './run-refs';
import type { FormStage, PresetName } from './presets';
import { buildConfig, formFields, initialValues, validate } from './schema-form';
import type { Field, FormValues } from './schema-form';

const schemas = { stage1: stage1ConfigSchema, distill: distillConfigSchema } as const;
/** Without a chosen preset: a workspace with demo datasets can only run the demo network, so start there. */
const defaultPreset = (datasets: readonly DatasetRef[]): PresetName => (datasets.some((d) => d.format === 'demo') ? 'demo-quick' : 'paper');
const groups = ['', 'network', 'optim', 'aug', 'source', 'target', 'val', 'validation', 'checkpoint'];

export function RunForm(props: {
  client: ContractClient;
  datasets: readonly DatasetRef[];
  runs: readonly RunSummary[];
  /** The workspace's own benchmark preset (a `proda demo` workspace): the form starts from it. */
  preset?: PresetName;
  onStarted: (id: string) => void;
}) {
  const [stage, setStage] = useState<FormStage>('stage1');
  const fields = useMemo(() => formFields(schemas[stage]), [stage]);
  const [preset, setPreset] = useState<PresetName>(() => props.preset ?? defaultPreset(props.datasets));
  const [values, setValues] = useState<FormValues>(() => valuesFor(preset, stage, {}));
  const [touched, setTouched] = useState(false);
  const [status, setStatus] = useState<{ error?: string; warnings?: string[] } | null>(null);
  const [busy, setBusy] = useState(false);
  // A refusal from main lands under the Start button at the end of a long form: bring it into view.
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => errorRef.current?.scrollIntoView({ block: 'nearest' }), [status?.error]);

  // The run list arrives after the form opens: fill still-empty run fields once it does.
  useEffect(() => {
    setValues((v) => {
      const fill = Object.keys(runRefs).filter((k) => fields.some((f) => f.key === k) && v[k] === '' && k !== 'studentInit');
      return fill.length ? { ...v, ...Object.fromEntries(fill.map((k) => [k, proposeRun(props.runs, k)])) } : v;
    });
  }, [props.runs, fields]);

  const config = buildConfig(fields, values, { stage });
  const check = validate(schemas[stage], fields, config);

  function valuesFor(p: PresetName, s: FormStage, prev: FormValues): FormValues {
    const f = formFields(schemas[s]);
    const v = { ...initialValues(f), ...presetValues(p, s, props.datasets) };
    // Keep chosen upstream runs, or propose the newest finished run that fits.
    for (const k of Object.keys(runRefs)) {
      if (!f.some((x) => x.key === k)) continue;
      const keep = prev[k];
      v[k] = typeof keep === 'string' && keep ? keep : k === 'studentInit' ? 'fresh' : proposeRun(props.runs, k);
    }
    return v;
  }
  const applyPreset = (p: PresetName, s: FormStage = stage) => {
    setPreset(p);
    setValues(valuesFor(p, s, values));
  };

  const start = async () => {
    setTouched(true);
    if (!check.ok) return;
    setBusy(true);
    setStatus(null);
    try {
      const r = await props.client.call('runs.start', { config: check.value as never });
      setStatus({ warnings: r.warnings.map((w) => `${w.field}: ${w.message}`) });
      props.onStarted(r.id);
    } catch (err) {
      setStatus({ error: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const input = (f: Field) => {
    const v = values[f.key];
    const set = (x: string | boolean) => setValues((s) => ({ ...s, [f.key]: x }));
    const ref = f.path.length === 1 ? runRefs[f.key] : undefined;
    if (ref) {
      const options = props.runs.filter((r) => ref.stages.includes(r.stage));
      return (
        <select value={String(v)} onChange={(e) => set(e.target.value)} name={f.key}>
          <option value="">{f.key === 'studentInit' ? '' : '— choose a run —'}</option>
          {f.key === 'studentInit' && <option value="fresh">fresh</option>}
          {options.map((r) => (
            <option key={r.id} value={r.id}>
              {runLabel(r)}
            </option>
          ))}
        </select>
      );
    }
    if (f.kind === 'boolean') return <input type="checkbox" name={f.key} checked={v === true} onChange={(e) => set(e.target.checked)} />;
    if (f.kind === 'enum')
      return (
        <select value={String(v)} name={f.key} onChange={(e) => set(e.target.value)}>
          {f.optional && <option value="" />}
          {f.options!.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      );
    if (f.kind === 'list') return <textarea name={f.key} rows={2} value={String(v)} onChange={(e) => set(e.target.value)} />;
    return <input name={f.key} type="text" inputMode={f.kind === 'number' ? 'decimal' : undefined} value={String(v)} onChange={(e) => set(e.target.value)} size={f.kind === 'number' ? 10 : 28} />;
  };

  return (
    <div className="run-form" data-testid="run-form">
      <div>
        stage{' '}
        <select
          data-testid="run-stage"
          value={stage}
          onChange={(e) => {
            const s = e.target.value as FormStage;
            setStage(s);
            applyPreset(preset, s);
          }}
        >
          <option value="stage1">stage 1 (denoise + structure learning)</option>
          <option value="distill">distillation</option>
        </select>{' '}
        preset{' '}
        {presetNames.map((p) => (
          <button key={p} data-testid={`preset-${p}`} className={p === preset ? 'active' : ''} onClick={() => applyPreset(p)}>
            {p}
          </button>
        ))}
      </div>
      {groups.map((g) => {
        const fs = fields.filter((f) => (g === '' ? f.path.length === 1 : f.path[0] === g && f.path.length > 1));
        if (fs.length === 0) return null;
        return (
          <fieldset key={g || 'main'}>
            {g && <legend>{g}</legend>}
            {fs.map((f) => (
              <div key={f.key} className={`field${touched && check.errors[f.key] ? ' invalid' : ''}`}>
                <label title={f.description}>
                  <span className="field-name">{f.path[f.path.length - 1]}</span> {input(f)}
                </label>
                {touched && check.errors[f.key] && (
                  <div className="error" data-testid={`error-${f.key}`}>
                    {check.errors[f.key]}
                  </div>
                )}
              </div>
            ))}
          </fieldset>
        );
      })}
      {touched && check.errors['(form)'] && <div className="error">{check.errors['(form)']}</div>}
      <button data-testid="run-start" disabled={busy} onClick={start}>
        {busy ? 'starting…' : `Start ${stage === 'stage1' ? 'stage 1' : 'distillation'}`}
      </button>
      {touched && !check.ok && <span className="error"> {Object.keys(check.errors).length} field(s) need attention</span>}
      {status?.error && (
        <div ref={errorRef} className="error run-error" data-testid="run-start-error" role="alert">
          {status.error}
        </div>
      )}
      {status?.warnings?.map((w) => (
        <div key={w} className="warning">
          ⚠ {w}
        </div>
      ))}
    </div>
  );
}

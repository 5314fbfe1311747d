// runs.*: the same run service behind IPC and HTTP. One supervisor per service context and workspace;
// its progress and state reach every client as contract events.
import path from 'node:path';
import type { ServiceContext } from './context';
import type { HandlersFor } from './handler';
import { createSupervisor } from '../runs/host';
import type { RunSupervisor } from '../runs/supervisor';
import { readSlurmRecord } from '../runs/executors/slurm-record';
import { cancelSlurmRun, resubmit } from '../runs/executors/slurm';
import { compareRuns, listRuns, reconcileStatus, summarize } from '../runs/catalogue';
import { readConfig, readEnv, readLogTail, readMetrics, readReport } from '../artifacts/records';
import { runDir } from '../artifacts/layout';

const supervisors = new WeakMap<ServiceContext, { root: string; sup: RunSupervisor }>();

function supervisorFor(ctx: ServiceContext): RunSupervisor {
  const root = path.resolve(ctx.requireWorkspace().root);
  const have = supervisors.get(ctx);
  if (have && have.root === root) return have.sup;
  const sup = createSupervisor(root, {
    onProgress: (p) => ctx.emit('run.progress', p),
    onState: (e) => ctx.emit('run.state', e),
  });
  supervisors.set(ctx, { root, sup });
  // Server stop or app quit: live runs are asked to stop with a checkpoint, then killed.
  ctx.onDispose(() => sup.shutdown(5000));
  return sup;
}

export const runsHandlers: HandlersFor<'runs.'> = {
  'runs.list': async (req, ctx) => {
    const sup = supervisorFor(ctx);
    return listRuns(sup.workspace, req.filter ?? {}, sup.supervised());
  },
  'runs.get': async (req, ctx) => {
    const sup = supervisorFor(ctx);
    const dir = runDir(sup.workspace, req.id);
    const config = await readConfig(dir);
    return {
      summary: await summarize(dir, sup.supervised()),
      config,
      env: await readEnv(dir),
      status: await reconcileStatus(dir, sup.supervised()),
      report: await readReport(dir),
      metrics: await readMetrics(dir),
      logTail: await readLogTail(dir, 50),
    };
  },
  'runs.start': async (req, ctx) => supervisorFor(ctx).start(req.config, req.id),
  // A Slurm run is cancelled with scancel and resumed as a new job, never run on this machine.
  'runs.cancel': async (req, ctx) => {
    const sup = supervisorFor(ctx);
    if (await readSlurmRecord(runDir(sup.workspace, req.id))) return { state: (await cancelSlurmRun(sup.workspace, req.id)).state };
    return { state: await sup.cancel(req.id) };
  },
  'runs.resume': async (req, ctx) => {
    const sup = supervisorFor(ctx);
    if (await readSlurmRecord(runDir(sup.workspace, req.id))) {
      await resubmit(sup.workspace, req.id);
      return { state: 'queued' as const };
    }
    return { state: await sup.resume(req.id) };
  },
  'runs.compare': async (req, ctx) => compareRuns(supervisorFor(ctx).workspace, req.a, req.b),
};

// Runs: start, watch, stop, resume and compare supervised stage runs. The run process reports
// progress to main with the same schemas (validated on arrival), and main forwards them as events.
import { z } from 'zod';
import { event, request } from './define';
import { safeId } from './ids';
import { runConfigSchema, stageKinds } from '../runs-config';

export const runStates = ['queued', 'running', 'cancelling', 'cancelled', 'succeeded', 'failed'] as const;
export const runStateSchema = z.enum(runStates);
export type RunState = z.infer<typeof runStateSchema>;

export const evalResultSchema = z.object({
  /** runningScore's mIoU: nanmean over classes; a class predicted but absent from the ground truth counts with IoU 0. */
  miou: z.number(),
  perClass: z.array(z.number().nullable()).describe('IoU per class; null where the class is in neither the ground truth nor the prediction'),
  /** runningScore's other numbers (absent in results written before they were reported). */
  pixelAccuracy: z.number().nullable().optional(),
  meanAccuracy: z.number().nullable().optional(),
  frequencyWeightedIoU: z.number().nullable().optional(),
  classNames: z.array(z.string()),
  /** How BatchNorm statistics were set when scoring. */
  bn: z.enum(['running', 'reestimate']),
  images: z.number().int(),
  /** Which runtime scored it and how fast (forward plus post-processing, per image). */
  inference: z
    .object({
      engine: z.enum(['onnxruntime', 'tfjs']),
      provider: z.string(),
      threads: z.number().int().nullable(),
      secondsPerImage: z.number().nullable(),
    })
    .optional(),
});
export type EvalResult = z.infer<typeof evalResultSchema>;

export const runProgressSchema = z.object({
  runId: z.string(),
  stage: z.enum(stageKinds),
  iteration: z.number().int().min(0),
  iterations: z.number().int().min(0),
  /** Each loss term of the last iteration by name (e.g. source_ce, sce, kl, reg, kd). */
  losses: z.record(z.string(), z.number()),
  lr: z.number(),
  itPerSec: z.number().min(0),
  etaSec: z.number().min(0).nullable(),
  memory: z.object({ rssMb: z.number(), heapMb: z.number(), numTensors: z.number().int().nullable() }),
  val: z.object({ iteration: z.number().int(), miou: z.number() }).nullable(),
  time: z.string(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

export const runStateEventSchema = z.object({
  runId: z.string(),
  state: runStateSchema,
  message: z.string().optional(),
  logTail: z.array(z.string()).optional(),
});

export const runStatusSchema = z.object({
  state: runStateSchema,
  pid: z.number().int().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  iteration: z.number().int().min(0),
  message: z.string().optional(),
  logTail: z.array(z.string()).optional(),
  attempts: z.number().int().min(0).default(0),
});
export type RunStatus = z.infer<typeof runStatusSchema>;

export const runSummarySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  stage: z.enum(stageKinds),
  state: runStateSchema,
  /** Why the state shown differs from the run's files (e.g. status.json could not be updated on a full disk). */
  problem: z.string().optional(),
  createdAt: z.string(),
  iteration: z.number().int(),
  iterations: z.number().int(),
  upstream: z.array(z.string()),
  /** Final or latest validation mIoU, if any. */
  miou: z.number().nullable(),
  /** How BatchNorm statistics were set for `miou` (a run's validation uses its validation.bn). */
  miouBn: z.enum(['running', 'reestimate']).nullable().optional(),
  /** The BN-re-estimated score where the run computed one besides `miou` (eval with bn 'both'). */
  miouReestimate: z.number().nullable().optional(),
  /** What kind of run within its stage: 'oracle' (a warm-up on target labels), 'soft' / 'hard' (pseudo-labels). */
  variant: z.enum(['oracle', 'soft', 'hard']).optional(),
  /** Hand-corrected target pixels the run trained on (from its report); absent when it used none. */
  corrected: z.object({ images: z.number().int(), pixels: z.number().int() }).optional(),
  /** For a run executed by Slurm: its latest job and Slurm's state word for it (squeue/sacct); absent for local runs. */
  slurm: z.object({ jobId: z.string(), state: z.string(), reason: z.string().nullable() }).optional(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runReportSchema = z.object({
  runId: z.string(),
  stage: z.enum(stageKinds),
  iterations: z.number().int(),
  seconds: z.number(),
  /** CPU seconds of the run process (user + system): on an otherwise idle machine, close to the wall time of a single-threaded backend. */
  cpuSeconds: z.number().optional(),
  final: evalResultSchema.nullable(),
  /** Every score the run computed (an eval run with bn 'both' has two); final is the first. */
  evals: z.array(evalResultSchema).default([]),
  artifacts: z.array(z.string()),
  finalLosses: z.record(z.string(), z.number()),
  notes: z.array(z.string()).default([]),
  /** Hand corrections the run trained on, in the state it read them (main/labels correctionUses). */
  corrections: z
    .array(z.object({ imageId: z.string(), touchedPixels: z.number().int(), seq: z.number().int(), generation: z.number().int(), sha256: z.string() }))
    .optional(),
});
export type RunReport = z.infer<typeof runReportSchema>;

export const runEnvSchema = z.object({
  seed: z.number().int(),
  effectiveBatchSize: z.number().int().nullable(),
  backend: z.string(),
  backendDetail: z.unknown().optional(),
  versions: z.record(z.string(), z.string()),
  gitCommit: z.string().nullable(),
  node: z.string(),
  platform: z.string(),
  startedAt: z.string(),
});
export type RunEnv = z.infer<typeof runEnvSchema>;

export const runFilterSchema = z
  .object({
    stage: z.enum(stageKinds).optional(),
    state: runStateSchema.optional(),
    text: z.string().optional().describe('Substring of the id or name'),
    upstream: z.string().optional().describe('Runs that read this run'),
  })
  .strict();
export type RunFilter = z.infer<typeof runFilterSchema>;

export const metricPointSchema = z.object({
  iteration: z.number().int(),
  time: z.string(),
  lr: z.number().optional(),
  losses: z.record(z.string(), z.number()).optional(),
  val: z.number().optional(),
});

export const runCompareSchema = z.object({
  a: runSummarySchema,
  b: runSummarySchema,
  configDiff: z.array(z.object({ path: z.string(), a: z.unknown(), b: z.unknown() })),
  metrics: z.array(z.object({ name: z.string(), a: z.number().nullable(), b: z.number().nullable() })),
});
export type RunCompare = z.infer<typeof runCompareSchema>;

// Run ids name folders under runs/: one safe segment, never a path.
const idReq = z.object({ id: safeId }).strict();

export const runsRequests = {
  'runs.list': request('Runs in the workspace, newest first, filtered', z.object({ filter: runFilterSchema.optional() }).strict(), z.array(runSummarySchema)),
  'runs.get': request(
    'One run: config, environment, status, report and metrics series',
    idReq,
    z.object({
      summary: runSummarySchema,
      config: runConfigSchema,
      env: runEnvSchema.nullable(),
      status: runStatusSchema,
      report: runReportSchema.nullable(),
      metrics: z.array(metricPointSchema),
      logTail: z.array(z.string()),
    }),
  ),
  'runs.start': request(
    'Validate a stage config and its dataset, create the run and start its process',
    z.object({ config: runConfigSchema, id: safeId.optional() }).strict(),
    z.object({ id: z.string(), warnings: z.array(z.object({ field: z.string(), message: z.string() })) }),
  ),
  'runs.cancel': request('Stop a run after its current iteration, leaving a resumable checkpoint', idReq, z.object({ state: runStateSchema })),
  'runs.resume': request('Continue a cancelled or failed run from its last good checkpoint', idReq, z.object({ state: runStateSchema })),
  'runs.compare': request('Side-by-side config diff and metrics of two runs', z.object({ a: safeId, b: safeId }).strict(), runCompareSchema),
};

export const runsEvents = {
  'run.progress': event('Iteration, losses, lr, speed, ETA, memory and the latest validation of a running run', runProgressSchema),
  'run.state': event('A run changed state (started, cancelled, finished, failed with its log tail)', runStateEventSchema),
};

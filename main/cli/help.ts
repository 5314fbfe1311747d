// Help text of every `proda` command: one entry per (sub)command with its synopsis, options and an
// example. `proda --help` lists the synopses; `proda <command> --help` prints one entry in full.
import { DEMO_DEFAULTS } from '../datasets/demo/make-demo';
import { datasetFormats } from '../../shared/datasets';

export interface CommandHelp {
  /** The words after `proda`, e.g. 'runs show'. */
  name: string;
  synopsis: string;
  summary: string;
  options: [flag: string, what: string][];
  examples: string[];
}

const FORMATS = datasetFormats.join('|');
const workspaceOpt: [string, string] = ['--workspace DIR', 'workspace folder (default: $PRODA_WORKSPACE or the current folder); commands that write into it create its workspace.json when missing'];
const jsonOpt: [string, string] = ['--json', 'one JSON object on stdout, nothing else there; progress is silent'];
const executorOpts: [string, string][] = [
  ['--executor local|slurm', 'local child processes (default) or one Slurm batch job per stage; the workspace must be on storage the nodes share'],
  ['--partition P --gres gpu:N --time T --account A --qos Q', 'sbatch options (workspace.json settings.slurm may set them, and "sbatch": extra #SBATCH lines)'],
];
const modelOpts: [string, string][] = [
  ['--model MODEL', "a finished run's id, import:ID (a checkpoint brought in by `proda import`), or a path holding a '/' (or ending .pkl/.pth/.pt) to an official ProDA checkpoint or logs folder, imported once into imports/ and reused"],
  ['--arch A --classes N --bn-pretrain', 'the network an official path given as --model is imported with (default resnet101, 19 classes)'],
  ['--engine onnxruntime|tfjs', 'inference runtime of the run process: ONNX Runtime (default) or the tfjs reference'],
  ['--provider cpu|webgpu|cuda', 'ONNX Runtime execution provider (default cpu)'],
  ['--threads N', 'ONNX Runtime intra-op threads (default: every core)'],
];
const dataOpts: [string, string][] = [
  ['--data ROOT', 'dataset root folder'],
  [`--format F`, `dataset layout: ${FORMATS}`],
  ['--split S', "split inside the root (the format's default when omitted)"],
];

export const COMMANDS: CommandHelp[] = [
  {
    name: 'demo',
    synopsis: 'proda demo [--quick] [--seed N | --seeds 1,2,3] [--data-seed N] [--executor local|slurm ...] [--workspace DIR] [--json]',
    summary:
      'generate the built-in benchmark, run warm-up, stage 1, distillation and the baselines, print target mIoU and per-class IoU per stage; ' +
      '--quick is a smoke test of the pipeline (minutes, numbers are noise)',
    options: [
      ['--quick', 'the demo-quick preset: a few dozen iterations per stage to check that every stage runs; its scores mean nothing'],
      ['--seed N', 'training seed (default 1)'],
      ['--seeds A,B,C', 'run the whole graph once per seed and print mean ± half-range'],
      ['--data-seed N', 'seed of the generated benchmark (default 1)'],
      ...executorOpts,
      workspaceOpt,
      jsonOpt,
    ],
    examples: ['proda demo --quick --workspace ~/proda-demo', 'proda demo --seeds 1,2,3 --workspace ~/proda-demo', 'proda demo --quick --executor slurm --partition debug --workspace /shared/proda-demo'],
  },
  {
    name: 'train',
    synopsis: 'proda train --config FILE [--id ID] [--executor local|slurm ...] [--wait] [--workspace DIR] [--json]',
    summary: 'run one stage from a JSON run config (see shared/runs-config.ts) in a child process and follow it to its end; with slurm, submit it as a batch job',
    options: [
      ['--config FILE', 'JSON run config; dataset roots in it are relative to the file'],
      ['--id ID', 'run id (default: made from the stage and time)'],
      ...executorOpts,
      ['--wait', 'with slurm, follow the job to its end instead of returning'],
      workspaceOpt,
      jsonOpt,
    ],
    examples: ['proda train --config warmup.json --workspace ~/proda-demo', 'proda train --config stage1.json --executor slurm --partition gpu --gres gpu:1 --time 2-00:00:00'],
  },
  {
    name: 'sweep',
    synopsis: 'proda sweep --config FILE --seeds 1,2,3 [--prefix P] [--executor local|slurm ...] [--workspace DIR] [--json]',
    summary: 'one run of the config per seed, independent of each other (side by side locally, all submitted at once on Slurm), then a table of each run\'s score',
    options: [['--config FILE', 'JSON run config'], ['--seeds A,B,C', 'one run per seed'], ['--prefix P', 'run id prefix (default: sweep-<config name>)'], ...executorOpts, workspaceOpt, jsonOpt],
    examples: ['proda sweep --config warmup.json --seeds 1,2,3 --executor slurm --partition gpu --gres gpu:1'],
  },
  {
    name: 'pseudo',
    synopsis:
      'proda pseudo --model RUN|import:ID|PATH --data ROOT --format F [--split S] [--mode soft|hard] [--engine E] [--provider P] [--threads N] [--seed N] [--id ID] [--workspace DIR] [--json]',
    summary:
      'soft (+ prototypes) or hard pseudo-labels from a finished run or an imported checkpoint (hard: softmax at model resolution, probabilities upsampled and flip-averaged, as generate_pseudo_label.py)',
    options: [...modelOpts, ...dataOpts, ['--mode soft|hard', 'soft: probabilities and prototypes for stage 1 (default); hard: label maps for distillation'], ['--seed N', 'run seed'], ['--id ID', 'run id'], workspaceOpt, jsonOpt],
    examples: [
      'proda pseudo --model warmup-1 --data ~/proda-demo/datasets/demo --format demo --split target-train',
      'proda pseudo --model import:proda-gta5 --data ~/data/cityscapes --format cityscapes --split train --mode hard --threads 16',
    ],
  },
  {
    name: 'eval',
    synopsis:
      'proda eval --model RUN|import:ID|PATH --data ROOT --format F [--split S] [--bn running|reestimate|both] [--bn-data ROOT] [--bn-split S] [--engine E] [--provider P] [--threads N] [--seed N] [--id ID] [--workspace DIR] [--json]',
    summary:
      "score a run's model or an imported checkpoint on a labelled split (logits upsampled, then argmax, as the reference validates): runningScore's mIoU, overall and mean accuracy, FWIoU and per-class IoU; --json also names the inference engine, provider and seconds per image",
    options: [
      ...modelOpts,
      ...dataOpts,
      ['--bn MODE', "running: the model's BatchNorm statistics (default); reestimate: statistics of target images first; both: score twice"],
      ['--bn-data ROOT', 'images (labels unused) whose statistics re-estimate BN; default: the scored split itself'],
      ['--bn-split S', 'split of --bn-data (or of --data when --bn-data is omitted), e.g. target-train'],
      ['--seed N', 'run seed'],
      ['--id ID', 'run id'],
      workspaceOpt,
      jsonOpt,
    ],
    examples: [
      'proda eval --model stage1-1 --data ~/proda-demo/datasets/demo --format demo --split target-val --bn both --bn-split target-train',
      'proda eval --model ~/ProDA/pretrained/from_gta5_to_cityscapes_on_deeplab101_best_model.pkl --data ~/data/cityscapes --format cityscapes --split val --json',
    ],
  },
  {
    name: 'runs list',
    synopsis: 'proda runs list [--stage S] [--state S] [--text T] [--upstream RUN] [--workspace DIR] [--json]',
    summary: "the workspace's runs with stage, state, progress and mIoU",
    options: [['--stage S', 'only this stage'], ['--state S', 'only runs in this state'], ['--text T', 'id or name contains T'], ['--upstream RUN', 'only runs that read RUN'], workspaceOpt, jsonOpt],
    examples: ['proda runs list --stage stage1 --state succeeded'],
  },
  {
    name: 'runs show',
    synopsis: 'proda runs show ID [--workspace DIR] [--json]',
    summary: "one run's summary, status, environment, scores, config and log tail",
    options: [workspaceOpt, jsonOpt],
    examples: ['proda runs show demo-quick-s1-stage1'],
  },
  {
    name: 'runs compare',
    synopsis: 'proda runs compare A B [--workspace DIR] [--json]',
    summary: 'config differences and metrics of two runs side by side',
    options: [workspaceOpt, jsonOpt],
    examples: ['proda runs compare demo-s1-stage1 demo-s2-stage1'],
  },
  {
    name: 'runs resume',
    synopsis: 'proda runs resume ID [--workspace DIR] [--json]',
    summary: 'continue a cancelled or interrupted run from its last checkpoint and follow it',
    options: [workspaceOpt, jsonOpt],
    examples: ['proda runs resume demo-s1-stage1'],
  },
  {
    name: 'runs cancel',
    synopsis: 'proda runs cancel ID [--workspace DIR] [--json]',
    summary: 'ask a run started by another proda process to stop after its current iteration (it stays resumable)',
    options: [workspaceOpt, jsonOpt],
    examples: ['proda runs cancel demo-s1-stage1'],
  },
  {
    name: 'dataset make-demo',
    synopsis: `proda dataset make-demo --out DIR --seed N [--width ${DEMO_DEFAULTS.width}] [--height ${DEMO_DEFAULTS.height}] [--count ${DEMO_DEFAULTS.count}] [--json]`,
    summary: 'write the built-in synthetic benchmark (source, target-train, target-val; target-val has count/2 images)',
    options: [['--out DIR', 'folder to write'], ['--seed N', 'generator seed'], ['--width PX', 'image width'], ['--height PX', 'image height'], ['--count N', 'images per training split'], jsonOpt],
    examples: ['proda dataset make-demo --out /tmp/demo --seed 1 --count 48'],
  },
  {
    name: 'dataset check',
    synopsis: `proda dataset check ROOT --format ${FORMATS} [--split S] [--classes 19|16|13] [--role source|target] [--max-problems N] [--json]`,
    summary: 'read every image and label; print counts, sizes, the class histogram, per-domain colour statistics and one line per problem; exits 3 on any error',
    options: [
      ['--format F', `dataset layout: ${FORMATS}`],
      ['--split S', 'split inside the root'],
      ['--classes 19|16|13', 'class protocol (default 19; 16 for synthia)'],
      ['--role source|target', 'which side of the adaptation the dataset is (default source)'],
      ['--max-problems N', 'problems listed before the rest are counted (default 1000)'],
      jsonOpt,
    ],
    examples: ['proda dataset check ~/data/cityscapes --format cityscapes --split val --role target'],
  },
  {
    name: 'export',
    synopsis:
      'proda export --run RUN|import:ID [--formats onnx,tfjs,safetensors,pytorch] [--images N] [--side PX] [--data ROOT --format F [--split S] [--classes 19|16|13]] [--min-agreement 0.999] [--out DIR [--force]]',
    summary: "export a run's student (or an imported checkpoint) with sidecars after a parity check against the engine (parity.json)",
    options: [
      ['--run RUN|import:ID', 'the finished run, or import:ID for a checkpoint brought in by `proda import`'],
      ['--formats LIST', 'comma list of onnx, tfjs, safetensors, pytorch (default: all)'],
      ['--images N', 'parity images (default 4)'],
      ['--side PX', 'parity image side when no dataset is given (default 512)'],
      ['--data ROOT --format F', 'real images for the parity check (default: random images)'],
      ['--split S', 'split of --data'],
      ['--classes 19|16|13', 'class protocol of --data'],
      ['--min-agreement X', 'argmax agreement below which the export fails (default 0.999)'],
      ['--out DIR', 'output folder (default: <workspace>/exports/<run>-<time>); an existing non-empty folder is refused'],
      ['--force', 'write into an existing non-empty --out: only the export\'s own files are replaced, nothing else is touched'],
      workspaceOpt,
      jsonOpt,
    ],
    examples: ['proda export --run demo-s1-distill --formats onnx,pytorch'],
  },
  {
    name: 'doctor',
    synopsis: 'proda doctor [--json]',
    summary:
      'the compute backend chosen and why, every backend tried with its reason, the WebGPU adapter, CUDA/cuDNN libraries for tfjs-node-gpu (and the fix when missing), Node/Electron versions',
    options: [jsonOpt],
    examples: ['proda doctor', 'PRODA_BACKEND=webgpu proda doctor --json'],
  },
  {
    name: 'export-labels',
    synopsis:
      'proda export-labels --run RUN|import:ID --data ROOT --format F [--split S] [--classes C] [--layouts cityscapes,proda] [--soft] [--no-flip] [--order pseudo-label|eval] [--bn running|reestimate [--bn-data ROOT] [--bn-split S]] [--out DIR [--force]]',
    summary:
      'predicted label maps in Cityscapes (gtFine with labelIds and instanceIds, results, conf) and official ProDA pseudo-label layouts (flip-averaged like generate_pseudo_label.py --flip unless --no-flip)',
    options: [
      ['--run RUN|import:ID', 'the finished run (or import:ID, a checkpoint brought in by `proda import`) whose network labels the images'],
      ...dataOpts,
      ['--classes 19|16|13', 'class protocol'],
      ['--layouts LIST', 'comma list of cityscapes, proda (default: both)'],
      ['--soft', 'also write soft probabilities where the layout has them'],
      ['--no-flip', 'one forward pass per image instead of flip-averaging'],
      [
        '--order pseudo-label|eval',
        'pseudo-label (default): softmax at model resolution, probabilities upsampled and flip-averaged unless --no-flip, as generate_pseudo_label.py --flip and `proda pseudo --mode hard`; eval: logits upsampled then argmax, no flip, as `proda eval` scores',
      ],
      ['--bn running|reestimate', "the model's own BatchNorm statistics (default) or re-estimated on 64 images first, as `proda eval --bn reestimate`: with the same options the labels are the ones behind that eval's mIoU"],
      ['--bn-data ROOT --bn-split S', 'images whose statistics re-estimate BN (default: the exported split)'],
      ['--out DIR', 'output folder (default: <workspace>/exports/labels-<run>-<time>); an existing non-empty folder is refused'],
      ['--force', "write into an existing non-empty --out: only the command's own file names are replaced"],
      workspaceOpt,
      jsonOpt,
    ],
    examples: ['proda export-labels --run demo-s1-distill --data ~/proda-demo/datasets/demo --format demo --split target-val'],
  },
  {
    name: 'import',
    synopsis: 'proda import FILE [--arch resnet101|demo|...] [--classes 19] [--bn-pretrain] [--strict] [--dry-run] [--out DIR [--force]]',
    summary:
      'map a PyTorch checkpoint (official ProDA, torchvision, SimCLRv2, prototypes) onto a network and print the key report; writes <workspace>/imports/<id>/ unless --dry-run',
    options: [
      ['--arch A', 'network architecture (default resnet101)'],
      ['--classes N', 'classes of the head (default 19)'],
      ['--bn-pretrain', "build the network with the official bn_clr BatchNorm (bn_pretrain.*); detected from the file's keys when omitted"],
      ['--strict', 'fail when any key is missing, unexpected or mis-shaped'],
      ['--dry-run', 'print the key report, write nothing'],
      ['--out DIR', 'output folder (default: <workspace>/imports/<file>-<time>); an existing non-empty folder is refused'],
      ['--force', "write into an existing non-empty --out: only the import's own file names are replaced"],
      workspaceOpt,
      jsonOpt,
    ],
    examples: ['proda import from_gta5_to_cityscapes_on_deeplab101_best_model.pkl --dry-run'],
  },
];

export const GROUPS: Record<string, string> = {
  runs: 'proda runs list|show|compare|resume|cancel ...: the workspace\'s runs',
  dataset: 'proda dataset make-demo|check ...: make and check datasets',
};

export function commandHelp(name: string): string | null {
  const c = COMMANDS.find((x) => x.name === name);
  if (c) {
    const w = Math.max(...c.options.map(([f]) => f.length));
    return [
      `Usage:\n  ${c.synopsis}`,
      '',
      c.summary,
      '',
      'Options:',
      ...c.options.map(([f, what]) => `  ${f.padEnd(w)}  ${what}`),
      '',
      c.examples.length > 1 ? 'Examples:' : 'Example:',
      ...c.examples.map((e) => `  ${e}`),
      '',
    ].join('\n');
  }
  const group = GROUPS[name];
  if (!group) return null;
  const members = COMMANDS.filter((x) => x.name.startsWith(`${name} `));
  return [`${group}`, '', 'Usage:', ...members.map((m) => `  ${m.synopsis}\n        ${m.summary}`), '', `proda ${name} <command> --help for its options and an example`, ''].join('\n');
}

/** The overview `proda --help` prints: every command's synopsis and summary. */
export function overview(): string {
  return COMMANDS.map((c) => `  ${c.synopsis}\n        ${c.summary}`).join('\n');
}

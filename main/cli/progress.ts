// How a running run looks in a terminal: one redrawn bar on a TTY, plain periodic lines otherwise,
// nothing on stdout in --json mode (machines read the final object).
import type { RunProgress } from '../../shared/contract/runs';

export interface ProgressSink {
  progress(p: RunProgress): void;
  line(text: string): void;
  end(): void;
}

const fmtTime = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
};

export function describeProgress(p: RunProgress): string {
  const losses = Object.entries(p.losses)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(' ');
  const val = p.val ? ` val mIoU ${(p.val.miou * 100).toFixed(1)}` : '';
  const speed = p.itPerSec > 0 ? ` ${p.itPerSec.toFixed(2)} it/s ETA ${fmtTime(p.etaSec)}` : '';
  const lr = p.lr > 0 ? ` lr ${p.lr.toExponential(2)}` : '';
  return `${p.runId} ${p.iteration}/${p.iterations}${lr}${losses ? ` ${losses}` : ''}${speed} rss ${Math.round(p.memory.rssMb)}MB${val}`;
}

export function progressSink(mode: 'tty' | 'plain' | 'silent', out: NodeJS.WritableStream = process.stderr): ProgressSink {
  if (mode === 'silent') return { progress() {}, line() {}, end() {} };
  if (mode === 'plain') {
    let lastAt = 0;
    return {
      progress(p) {
        const now = Date.now();
        if (now - lastAt < 5000 && p.iteration !== p.iterations) return;
        lastAt = now;
        out.write(`${describeProgress(p)}\n`);
      },
      line: (t) => out.write(`${t}\n`),
      end() {},
    };
  }
  let drawn = false;
  const clear = () => {
    if (drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    progress(p) {
      const width = 24;
      const frac = p.iterations > 0 ? Math.min(1, p.iteration / p.iterations) : 0;
      const filled = Math.round(frac * width);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}%`;
      const cols = (out as NodeJS.WriteStream).columns ?? 120;
      clear();
      out.write(`${bar} ${describeProgress(p)}`.slice(0, cols - 1));
      drawn = true;
    },
    line(t) {
      clear();
      out.write(`${t}\n`);
    },
    end: clear,
  };
}

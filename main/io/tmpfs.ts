// A real, small filesystem for full-disk tests: a tmpfs of `size` mounted on a fresh folder. Mounting
// needs root (or CAP_SYS_ADMIN); where it is not allowed the caller gets the reason and skips.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  dir: string;
  unmount: () => void;
}

export function mountSmallDisk(size: string): SmallDisk | { reason: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { reason: `cannot mount a ${size} tmpfs (${stderr || (err as Error).message}); the injected fs layer covers this case` };
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Run processes inside the desktop app: Electron's utilityProcess (a Node child that Electron manages
// and reports on), behind the same RunLauncher interface the supervisor uses with child_process.
// The run process talks back through process.parentPort (see main/runs/channel.ts).
import { utilityProcess } from 'electron';
import type { LaunchedProcess, RunEntry, RunLauncher } from '../runs/launcher';

export function utilityLauncher(entry: RunEntry): RunLauncher {
  return {
    launch(args): LaunchedProcess {
      const child = utilityProcess.fork(entry.file, args, {
        execArgv: entry.execArgv,
        stdio: 'pipe',
        serviceName: 'proda-run',
      });
      let killedWith: string | null = null;
      const lines = (cb: (line: string, stream: 'stdout' | 'stderr') => void, stream: 'stdout' | 'stderr') => {
        let rest = '';
        return (chunk: Buffer) => {
          const parts = (rest + chunk.toString('utf8')).split('\n');
          rest = parts.pop() ?? '';
          for (const l of parts) if (l.length) cb(l, stream);
        };
      };
      return {
        get pid() {
          return child.pid;
        },
        send: (msg) => child.postMessage(msg),
        onMessage: (cb) => child.on('message', cb),
        onOutput: (cb) => {
          child.stdout?.on('data', lines(cb, 'stdout'));
          child.stderr?.on('data', lines(cb, 'stderr'));
        },
        // utilityProcess reports only an exit code; the signal is what we sent, if we sent one.
        onExit: (cb) => child.on('exit', (code) => cb(killedWith ? null : code, killedWith)),
        kill: (signal = 'SIGTERM') => {
          if (signal === 'SIGTERM' && child.pid) {
            // A graceful stop: the run process treats SIGTERM as a cancel.
            process.kill(child.pid, 'SIGTERM');
            return;
          }
          killedWith = signal;
          if (child.pid) process.kill(child.pid, signal);
          else child.kill();
        },
      };
    },
  };
}

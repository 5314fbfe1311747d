// What `proda` exit statuses mean. Scripts may rely on these; the README lists them.
import type { ErrorCode } from '../../shared/contract/errors';

export const EXIT = {
  ok: 0,
  /** A run failed, a check found errors, or an unexpected error. */
  failed: 1,
  /** Unknown command or option, missing argument. */
  usage: 2,
  /** A config, dataset or file was rejected (validation, dataset check errors, unusable content). */
  invalid: 3,
  /** A named run, dataset or file does not exist. */
  notFound: 4,
  /** The request contradicts the current state (run already finished, already running). */
  conflict: 5,
  /** Stopped by the user (Ctrl-C / SIGTERM); a resumable checkpoint was kept. */
  cancelled: 130,
} as const;

export const exitCodeFor = (code: ErrorCode): number =>
  code === 'validation' || code === 'bad-input'
    ? EXIT.invalid
    : code === 'not-found'
      ? EXIT.notFound
      : code === 'conflict'
        ? EXIT.conflict
        : code === 'cancelled'
          ? EXIT.cancelled
          : EXIT.failed;

export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    a run failed, a check found errors, or an unexpected error
  2    usage error (unknown command or option)
  3    invalid input: config or file rejected, dataset check errors
  4    not found: run, dataset or file
  5    conflict: e.g. resuming a finished run
  130  cancelled by the user; the run keeps a resumable checkpoint`;

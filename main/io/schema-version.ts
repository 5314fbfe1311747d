// Versioned JSON records (workspace.json, pseudo.json): a record declares its schemaVersion, and older
// versions are migrated up one step at a time before the caller validates the result.
import { AppError } from '../../shared/contract/errors';

type Raw = Record<string, unknown>;
/** table[n] turns a version-n object into version n+1. */
export type Migrations = Record<number, (raw: Raw) => Raw>;

export function migrate(raw: Raw, file: string, table: Migrations, target: number): Raw {
  const declared = raw.schemaVersion;
  if (typeof declared !== 'number' || !Number.isInteger(declared) || declared < 1) {
    throw new AppError('bad-input', `${file}: schemaVersion: expected a positive integer, got ${JSON.stringify(declared)}`, {
      where: file,
    });
  }
  let version = declared;
  if (version > target) {
    throw new AppError(
      'bad-input',
      `${file}: schemaVersion ${version} is newer than this app understands (${target}); update proda-workbench`,
      { where: file },
    );
  }
  let out = raw;
  while (version < target) {
    const step = table[version];
    if (!step) throw new AppError('internal', `${file}: no migration from schemaVersion ${version}`, { where: file });
    out = step(out);
    version = out.schemaVersion as number;
  }
  return out;
}

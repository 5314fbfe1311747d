#!/usr/bin/env node
// The `proda` command: the built CLI (dist/node/cli.js) when it exists, otherwise the TypeScript
// source through tsx, so a fresh checkout works before `npm run build`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'node', 'cli.js');
let entry;
if (existsSync(built) && !process.env.PRODA_CLI_FROM_SOURCE) {
  entry = pathToFileURL(built).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(path.join(root, 'main', 'cli', 'index.ts')).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));

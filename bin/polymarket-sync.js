#!/usr/bin/env node
// The project is TypeScript run from source. Node 24 strips types by itself
// only from erasable syntax, and the project uses more (parameter properties),
// so tsx compiles it: registered in this process through tsx's API rather
// than by starting `tsx` as a second process, so Ctrl-C, the exit status and
// stdio are the program's own.
import module from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  process.stderr.write(`polymarket-sync runs on Node 24 (this is ${process.version}); run it through npx or npm run, which use the Node the project pins\n`);
  process.exit(1);
}
// A start loads some two thousand modules: their compiled code is kept on disk (under the temp
// directory) for the next start, which then spends a tenth less CPU before the command runs.
module.enableCompileCache();
const { register } = await import('tsx/esm/api');
// The project's compiler settings wherever the command is started from.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('#local/cli/main.ts');

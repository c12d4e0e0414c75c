// Adds lock entries for the platform binaries this workplace's npm registry
// does not carry (chDB's and Hardhat EDR's builds for macOS, Windows and
// arm64). npm cannot lock a package it cannot fetch, and `npm ci` then refuses
// the lock. Each entry names its os and cpu, so npm skips it on this platform
// exactly as it would with a full registry. Run after `npm install` changes
// package-lock.json: `node .ci/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORM = {
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'win32-x64-msvc': { os: ['win32'], cpu: ['x64'] },
};

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const added = [];
for (const [where, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const platform = Object.keys(PLATFORM).find((p) => name.endsWith(`-${p}`));
    if (!platform) continue;
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${where}/${key}`]) continue;
    lock.packages[key] = { version, dev: pkg.dev, optional: true, ...PLATFORM[platform] };
    added.push(`${name}@${version}`);
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added lock entries: ${added.join(', ')}` : 'lock already complete');

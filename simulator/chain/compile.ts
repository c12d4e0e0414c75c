import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: Abi; evm: { deployedBytecode: { object: string } } }>>;
}

export interface CompiledContract {
  abi: Abi;
  /** Runtime code, ready for hardhat_setCode. */
  deployedBytecode: Hex;
}

/** Compiles `<name>.sol` files of this folder (each holding contract `<name>`) in one solc-js run (the npm `solc` package: wasm, no download). */
function compileSources<N extends string>(names: readonly N[]): Record<N, CompiledContract> {
  const sources = Object.fromEntries(names.map((n) => [`${n}.sol`, { content: readFileSync(new URL(`./${n}.sol`, import.meta.url), 'utf8') }]));
  const input = {
    language: 'Solidity',
    sources,
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.deployedBytecode.object'] } } },
  };
  const out = compileOnce(JSON.stringify(input));
  const result = {} as Record<N, CompiledContract>;
  for (const n of names) {
    const c = out.contracts[`${n}.sol`]?.[n];
    if (!c) throw new Error(`solc produced no ${n}`);
    result[n] = { abi: c.abi, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
  }
  return result;
}

/**
 * solc-js spends seconds of CPU on one compile, and every process that starts
 * a simulated world (each `sync --simulated`, each test file) compiled the
 * same fakes again. Its output is kept under the temp directory, keyed by the
 * compiler's version, the input and every fake of this folder (one may import
 * another), so a later process reuses it and any change gets a key of its own.
 */
function compileOnce(input: string): SolcOutput {
  const folder = new URL('./', import.meta.url);
  const solcVersion = (require('solc/package.json') as { version: string }).version;
  const key = createHash('sha256').update(solcVersion).update(input);
  for (const name of readdirSync(folder).sort()) if (name.endsWith('.sol')) key.update(name).update(readFileSync(new URL(name, folder)));
  const dir = join(tmpdir(), 'polymarket-sync-solc');
  const file = join(dir, `${key.digest('hex')}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SolcOutput;
  } catch {
    // Not compiled yet: compile.
  }
  const solc = require('solc') as { compile(input: string, callbacks?: { import(path: string): { contents: string } }): string };
  // A fake may import another of this folder (`import "./X.sol"`).
  const findImport = (path: string) => ({ contents: readFileSync(new URL(`./${path}`, import.meta.url), 'utf8') });
  const output = solc.compile(input, { import: findImport });
  const out = JSON.parse(output) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  // Written aside and renamed: a process reading it at the same time sees all of it or none.
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, output);
  renameSync(partial, file);
  return out;
}

let cached: CompiledContract | undefined;

/** Compiles FakeExchange.sol (the V2 OrderFilled emitter). */
export function compileFakeExchange(): CompiledContract {
  cached ??= compileSources(['FakeExchange'])['FakeExchange'];
  return cached;
}

/** The fakes a simulated world installs (see simulator/world). */
export const WORLD_CONTRACTS = [
  'FakeCtf',
  'FakeNegRiskAdapter',
  'FakeExchangeV1',
  'FakeExchangeV2Full',
  'FakeBatcher',
  'FakeSafeFactory',
  'FakeRelayHub',
] as const;
export type WorldContractName = (typeof WORLD_CONTRACTS)[number];

let worldCached: Record<WorldContractName, CompiledContract> | undefined;

/** Compiles every world fake in one solc run (a second or two), once per process. */
export function compileWorldContracts(): Record<WorldContractName, CompiledContract> {
  worldCached ??= compileSources(WORLD_CONTRACTS);
  return worldCached;
}

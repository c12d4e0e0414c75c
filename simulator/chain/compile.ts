import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  const solc = require('solc') as { compile(input: string, callbacks?: { import(path: string): { contents: string } }): string };
  const sources = Object.fromEntries(names.map((n) => [`${n}.sol`, { content: readFileSync(new URL(`./${n}.sol`, import.meta.url), 'utf8') }]));
  const input = {
    language: 'Solidity',
    sources,
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.deployedBytecode.object'] } } },
  };
  // A fake may import another of this folder (`import "./X.sol"`).
  const findImport = (path: string) => ({ contents: readFileSync(new URL(`./${path}`, import.meta.url), 'utf8') });
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const result = {} as Record<N, CompiledContract>;
  for (const n of names) {
    const c = out.contracts[`${n}.sol`]?.[n];
    if (!c) throw new Error(`solc produced no ${n}`);
    result[n] = { abi: c.abi, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
  }
  return result;
}

let cached: CompiledContract | undefined;

/** Compiles FakeExchange.sol (the V2 OrderFilled emitter). */
export function compileFakeExchange(): CompiledContract {
  cached ??= compileSources(['FakeExchange'])['FakeExchange'];
  return cached;
}

/** The fakes a simulated world installs (see simulator/world). */
export const WORLD_CONTRACTS = ['FakeCtf', 'FakeNegRiskAdapter', 'FakeExchangeV1', 'FakeExchangeV2Full', 'FakeBatcher'] as const;
export type WorldContractName = (typeof WORLD_CONTRACTS)[number];

let worldCached: Record<WorldContractName, CompiledContract> | undefined;

/** Compiles every world fake in one solc run (a second or two), once per process. */
export function compileWorldContracts(): Record<WorldContractName, CompiledContract> {
  worldCached ??= compileSources(WORLD_CONTRACTS);
  return worldCached;
}

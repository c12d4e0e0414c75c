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

let cached: CompiledContract | undefined;

/** Compiles FakeExchange.sol with solc-js (the npm `solc` package: wasm, no download). */
export function compileFakeExchange(): CompiledContract {
  if (cached) return cached;
  const solc = require('solc') as { compile(input: string): string };
  const source = readFileSync(new URL('./FakeExchange.sol', import.meta.url), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { 'FakeExchange.sol': { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.deployedBytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const c = out.contracts['FakeExchange.sol']?.['FakeExchange'];
  if (!c) throw new Error('solc produced no FakeExchange');
  cached = { abi: c.abi, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
  return cached;
}

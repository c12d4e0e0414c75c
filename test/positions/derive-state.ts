import type { RunRecord, StateStore } from '#shared/ports/state.ts';

/**
 * The state deriving positions reads, in memory: the chain's watermark at
 * `upToBlock`, the run `run` (if any), and leases, shared by every loader
 * handed this store. `onLeaseRefused` hears each refused lease.
 */
export function deriveState(upToBlock: number, run: RunRecord | null = null, onLeaseRefused: () => void = () => undefined): StateStore {
  const leases = new Map<string, string>();
  const state: Partial<StateStore> = {
    getWatermarks: async () => ({ chain: { source: 'chain', value: String(upToBlock), runId: run?.runId ?? 'r', updatedAt: 0 } }),
    getRun: async (runId) => (runId === run?.runId ? run : null),
    acquireLease: async (name, owner) => {
      const holder = leases.get(name);
      if (holder !== undefined && holder !== owner) {
        onLeaseRefused();
        return false;
      }
      leases.set(name, owner);
      return true;
    },
    releaseLease: async (name, owner) => {
      if (leases.get(name) === owner) leases.delete(name);
    },
  };
  return state as StateStore;
}

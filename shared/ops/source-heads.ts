import type { SourceRegistry } from '#shared/sources/registry.ts';
import type { SourceName } from '#shared/sources/source.ts';
import type { SourceHeads } from '#shared/ports/ops.ts';

/**
 * Reads a source's head through its planner: a plan from the current
 * watermark targets the head. The subgraph plans a run that follows a
 * watermark with one `_meta` query, so a source without a watermark is asked
 * as if it had one at 0 (never a whole per-token plan); the chain plans from
 * its watermark (a density sample over the lag). Nothing is written anywhere.
 */
export class PlannedSourceHeads implements SourceHeads {
  constructor(private readonly sources: SourceRegistry) {}

  async head(source: SourceName, watermark: string | null): Promise<string | null> {
    const s = this.sources[source];
    if (!s) return null;
    const plan = await s.plan({ watermark: watermark ?? (source === 'subgraph' ? '0' : null) });
    return plan.target;
  }
}

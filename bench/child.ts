/**
 * One benchmark approach in its own process, so its peak memory
 * (process.resourceUsage().maxRSS) is its own. Driven over IPC by bench/run.ts.
 */
import type { ApproachRequest, ApproachResult, ChildMessage, ParentMessage } from './lib/types.ts';
import { jsMemorySampler } from './lib/instrument.ts';

/**
 * Ctrl-C signals the parent and this child together, and the parent may be
 * gone before a message leaves (the child's first `ready` included). With no
 * one to answer, the child ends quietly, where an unhandled EPIPE printed a
 * stack trace.
 */
let exiting = false;
const orphaned = () => {
  if (!exiting) process.exit(1);
};
const send = (m: ChildMessage) => {
  if (!process.connected) return orphaned();
  process.send?.(m, undefined, undefined, (err: Error | null) => {
    if (err) orphaned();
  });
};
process.on('disconnect', orphaned);
const sampler = jsMemorySampler();
let baselineRssBytes = 0;
let pipelineUsed = false;
const markBaseline = () => {
  baselineRssBytes = process.memoryUsage().rss;
};

async function run(req: ApproachRequest): Promise<ApproachResult> {
  switch (req.kind) {
    case 'pipeline-backfill':
    case 'pipeline-incremental': {
      const { pipelineCycle } = await import('./approaches/pipeline.ts');
      pipelineUsed = true;
      if (!baselineRssBytes) markBaseline();
      return pipelineCycle(req);
    }
    case 'per-market': {
      markBaseline();
      const { perMarket } = await import('./approaches/per-market.ts');
      return perMarket(req);
    }
    case 'global-cursor': {
      markBaseline();
      const { globalCursor } = await import('./approaches/global-cursor.ts');
      return globalCursor(req);
    }
    case 'loader': {
      // The sink path must not load chDB's engine library: its RSS would count against the loader.
      if (req.sinkUrl) return (await import('./approaches/loader-sink.ts')).loaderToSink(req, markBaseline);
      const { loaderOnly } = await import('./approaches/loader.ts');
      return loaderOnly(req, markBaseline);
    }
    case 'fetcher': {
      const { fetcherOnly } = await import('./approaches/fetcher.ts');
      return fetcherOnly(req, markBaseline);
    }
    case 'positions': {
      const { positionsStep } = await import('./approaches/positions.ts');
      return positionsStep(req, markBaseline);
    }
  }
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'exit') {
    exiting = true;
    void (async () => {
      if (pipelineUsed) await (await import('./approaches/pipeline.ts')).closePipeline().catch(() => undefined);
      send({
        type: 'memory',
        memory: { maxRssBytes: process.resourceUsage().maxRSS * 1024, peakJsBytes: sampler.peak(), baselineRssBytes },
      });
      sampler.stop();
      process.disconnect?.();
      setTimeout(() => process.exit(0), 200).unref();
    })();
    return;
  }
  run(m.request).then(
    (result) => send({ type: 'result', result }),
    (err: Error) => send({ type: 'error', message: err.stack ?? err.message }),
  );
});
send({ type: 'ready' });

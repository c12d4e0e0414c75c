/**
 * One size of the analyst part in its own process: chDB binds one data
 * directory per process, and a size's engine state (caches, merges) must
 * not carry over to the next. Driven over IPC by bench/parts/analyst/spawn.ts.
 */
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { runAnalystSize, type AnalystLayout, type AnalystSizeResult } from './measure.ts';

export interface AnalystChildRequest {
  dir: string;
  fills: number;
  seed: number;
  runs: number;
  budgetMs: number;
  layout: AnalystLayout;
  reuseData: boolean;
}
export type AnalystChildMessage = { type: 'log'; line: string } | { type: 'result'; result: AnalystSizeResult } | { type: 'error'; message: string };

const send = (m: AnalystChildMessage) => process.send?.(m);

process.once('message', (req: AnalystChildRequest) => {
  const client = embeddedClient(req.dir);
  runAnalystSize(client, { ...req, log: (line) => send({ type: 'log', line }) })
    .then(
      (result) => send({ type: 'result', result }),
      (err: Error) => send({ type: 'error', message: err.stack ?? err.message }),
    )
    .finally(() => {
      void client.close();
      process.disconnect?.();
      // chDB's threads can outlive the event loop's work: leave once the answer is out.
      setTimeout(() => process.exit(0), 200).unref();
    });
});

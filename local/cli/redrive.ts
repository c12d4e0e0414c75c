import { Command, InvalidArgumentError } from 'commander';
import { formatRedrive, redrive } from '#shared/ops/redrive.ts';
import type { OpsTarget } from '#adapters/aws/ops-target.ts';
import { stageTarget } from './stage.ts';
import type { QueueRole } from '#shared/ports/ops.ts';
import { openLocalOps } from './local-ops.ts';
import { commandFailed, reportFailures } from './failures.ts';

interface RedriveFlags {
  queue: QueueRole | 'all';
  simulated?: boolean;
  stage?: string;
}

const queueChoice = (v: string): QueueRole | 'all' => {
  if (v === 'shards' || v === 'loads' || v === 'all') return v;
  throw new InvalidArgumentError('must be shards, loads or all');
};

export const redriveCommand = (): Command =>
  new Command('redrive')
    .description('Send dead-lettered messages back to their queue, once the cause is fixed (safe to repeat)')
    .option('--queue <which>', 'shards, loads or all', queueChoice, 'all')
    .option('--simulated', 'the state of `npm run sync -- --simulated` (./.data/simulated)')
    .option('--stage <stage>', 'a deployed stage (SQS StartMessageMoveTask) instead of the local queues')
    .action(reportFailures(commandFailed('redrive'), main));

async function main(flags: RedriveFlags): Promise<void> {
  let target: OpsTarget;
  let close = async (): Promise<void> => undefined;
  if (flags.stage) {
    target = await stageTarget(flags.stage);
  } else {
    const local = await openLocalOps(flags.simulated);
    close = () => local.aws.stop();
    target = local.target;
  }
  try {
    const report = await redrive(target.deadLetters, flags.queue);
    console.log(`${target.describe}\n${formatRedrive(report)}`);
    if (!flags.stage && report.results.some((r) => r.moved > 0)) console.log('run `npm run sync` to process them');
  } finally {
    await close();
  }
}

import { localTarget, type OpsTarget } from '#adapters/aws/ops-target.ts';
import { startLocalAws, type LocalAws } from '#local/emulators.ts';
import { holdDataDir } from '#local/data-dir-lock.ts';
import { localDataDir } from './warehouse.ts';

export interface LocalOps {
  dataDir: string;
  aws: LocalAws;
  target: OpsTarget;
}

/** The persisted local state (queues, DLQs, state table) of `npm run sync`, as the operator commands see it. */
export async function openLocalOps(simulated: boolean | undefined): Promise<LocalOps> {
  const dataDir = localDataDir(simulated);
  const release = holdDataDir(dataDir);
  let aws: LocalAws;
  try {
    const started = await startLocalAws({ dataDir });
    aws = {
      ...started,
      stop: async () => {
        try {
          await started.stop();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
  const target = localTarget(
    {
      region: aws.region,
      sqsEndpoint: aws.sqsEndpoint,
      dynamoEndpoint: aws.dynamoEndpoint,
      table: aws.table,
      queues: { shards: { queueUrl: aws.shardQueueUrl, dlqUrl: aws.shardDlqUrl }, loads: { queueUrl: aws.loadQueueUrl, dlqUrl: aws.loadDlqUrl } },
    },
    `local state in ${dataDir}`,
  );
  return { dataDir, aws, target };
}

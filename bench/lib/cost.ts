/**
 * AWS cost per million fills from one measured pipeline run. Prices are
 * us-east-1 list prices (x86 Lambda, SQS standard, S3 Standard, DynamoDB
 * on-demand) as published in 2025, before free tiers; check
 * https://aws.amazon.com/pricing before relying on them.
 */
export const PRICES = {
  date: 'us-east-1 list prices as published in 2025 (DynamoDB on-demand after the Nov 2024 cut), free tiers ignored',
  lambdaGbSecond: 0.0000166667,
  lambdaRequestPerMillion: 0.2,
  sqsRequestPerMillion: 0.4,
  s3PutPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
} as const;

export const FUNCTION_MEMORY_GB = 1; // planner, fetcher and loader are 1024 MB

export interface CostInput {
  fills: number;
  plannerMs: number;
  invocations: Record<string, { count: number; totalMs: number }>;
  /** "function:service:Command" → calls, from the measured run. */
  awsCalls: Record<string, number>;
  objectsStaged: number;
}

export interface CostLine {
  item: string;
  perMillionFills: number;
  unit: string;
  price: string;
  dollarsPerMillionFills: number;
  basis: string;
}

/** The local harness's own calls (bucket listing, queue depth, event-source polling): Lambda's event source mapping is modelled apart. */
const HARNESS_COMMANDS = new Set([
  'ListObjectsV2Command',
  'GetQueueAttributesCommand',
  'ReceiveMessageCommand',
  'DeleteMessageBatchCommand',
  'ChangeMessageVisibilityBatchCommand',
]);
const DYNAMO_WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand']);
const DYNAMO_READS = new Set(['GetCommand', 'QueryCommand']);

/** Calls the deployed functions would make; the local harness's own polling is left out. */
function functionCalls(calls: Record<string, number>, service: string, commands?: Set<string>): number {
  let n = 0;
  for (const [key, v] of Object.entries(calls)) {
    const [fn, svc, cmd] = key.split(':') as [string, string, string];
    if (svc !== service || fn === 'harness') continue;
    // Before the first fetcher, only the planner's own sends are real: the harness's bucket listing and queue depth checks are not.
    if (fn === 'planner' && HARNESS_COMMANDS.has(cmd)) continue;
    if (commands && !commands.has(cmd)) continue;
    n += v;
  }
  return n;
}

export function costModel(input: CostInput): CostLine[] {
  const perM = (n: number) => (n / Math.max(1, input.fills)) * 1e6;
  const fetcher = input.invocations.fetcher ?? { count: 0, totalMs: 0 };
  const loader = input.invocations.loader ?? { count: 0, totalMs: 0 };
  const gbs = (ms: number) => (ms / 1000) * FUNCTION_MEMORY_GB;
  const lines: CostLine[] = [];
  const add = (item: string, count: number, unit: string, price: string, dollarsPerUnit: number, basis: string) => {
    const per = perM(count);
    lines.push({ item, perMillionFills: per, unit, price, dollarsPerMillionFills: per * dollarsPerUnit, basis });
  };
  add(
    'Lambda fetcher',
    gbs(fetcher.totalMs),
    'GB-s',
    `$${PRICES.lambdaGbSecond}/GB-s`,
    PRICES.lambdaGbSecond,
    `${fetcher.count} invocations, ${(fetcher.totalMs / 1000).toFixed(1)} s measured, 1024 MB`,
  );
  add(
    'Lambda loader',
    gbs(loader.totalMs),
    'GB-s',
    `$${PRICES.lambdaGbSecond}/GB-s`,
    PRICES.lambdaGbSecond,
    `${loader.count} invocations, ${(loader.totalMs / 1000).toFixed(1)} s measured (chDB in-process), 1024 MB`,
  );
  add(
    'Lambda planner',
    gbs(input.plannerMs),
    'GB-s',
    `$${PRICES.lambdaGbSecond}/GB-s`,
    PRICES.lambdaGbSecond,
    `1 invocation, ${(input.plannerMs / 1000).toFixed(1)} s (start of cycle to first fetcher: an upper bound)`,
  );
  add(
    'Lambda requests',
    fetcher.count + loader.count + 1,
    'invocations',
    `$${PRICES.lambdaRequestPerMillion}/M`,
    PRICES.lambdaRequestPerMillion / 1e6,
    'planner + fetcher + loader invocations',
  );
  const sqsSends = functionCalls(input.awsCalls, 'SQS');
  // Lambda's event source mapping receives and deletes on the functions' behalf: one receive and one delete batch per invocation.
  const esm = 2 * (fetcher.count + loader.count);
  // S3 delivers one notification message per staged object.
  add(
    'SQS requests',
    sqsSends + esm + input.objectsStaged,
    'requests',
    `$${PRICES.sqsRequestPerMillion}/M`,
    PRICES.sqsRequestPerMillion / 1e6,
    `${sqsSends} sent by functions + ${esm} event-source receive/delete + ${input.objectsStaged} S3 notifications (idle long-polling is a fixed ~$0.5/month per queue pair, not per fill)`,
  );
  const puts = functionCalls(input.awsCalls, 'S3', new Set(['PutObjectCommand']));
  const gets = functionCalls(input.awsCalls, 'S3', new Set(['GetObjectCommand', 'HeadObjectCommand']));
  add('S3 PUT', puts, 'requests', `$${PRICES.s3PutPerThousand}/1,000`, PRICES.s3PutPerThousand / 1000, 'staged objects written');
  add('S3 GET', gets, 'requests', `$${PRICES.s3GetPerThousand}/1,000`, PRICES.s3GetPerThousand / 1000, 'staged objects read by the loader');
  const writes = functionCalls(input.awsCalls, 'DynamoDB', DYNAMO_WRITES);
  const reads = functionCalls(input.awsCalls, 'DynamoDB', DYNAMO_READS);
  add(
    'DynamoDB writes',
    writes,
    'WRU (1 per request, items < 1 KB)',
    `$${PRICES.dynamoWritePerMillion}/M WRU`,
    PRICES.dynamoWritePerMillion / 1e6,
    'checkpoints, loaded records, run and lease items',
  );
  add(
    'DynamoDB reads',
    reads,
    'RRU (1 per request; a Query over 4 KB costs more)',
    `$${PRICES.dynamoReadPerMillion}/M RRU`,
    PRICES.dynamoReadPerMillion / 1e6,
    'consistent gets and run-progress queries',
  );
  return lines;
}

import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AwsService = 'sqs' | 's3' | 'dynamodb' | 'secretsmanager';

/** One AWS API call a function made: the IAM action it needs and the resource it named. */
export interface RecordedCall {
  /** Which function's proxy saw it. */
  caller: string;
  /** The access key id the request was signed with (from its SigV4 Authorization header). */
  accessKeyId: string | undefined;
  /** `sqs:ReceiveMessage`, `s3:GetObject`, ... */
  action: string;
  /** What the call names, as the proxy can tell: a queue URL, `bucket/key`, a table name, a secret id. */
  resource: string | undefined;
  /** The emulator's answer. */
  status: number;
}

export interface RecordingProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of one emulator for one function: every request is
 * passed on untouched and recorded as the IAM action it needs. The action
 * comes from the request as AWS authorises it: the JSON protocols' X-Amz-Target
 * (`AmazonSQS.SendMessageBatch`, `DynamoDB_20120810.UpdateItem`,
 * `secretsmanager.GetSecretValue`) or a query-protocol `Action`; S3's from the
 * method and path (REST). Batch operations are authorised as their single
 * form (sqs:SendMessageBatch needs sqs:SendMessage; service authorization
 * reference, Amazon SQS "Actions defined by"), so they are recorded that way.
 */
export async function startRecordingProxy(opts: {
  caller: string;
  service: AwsService;
  target: string;
  record: (call: RecordedCall) => void;
}): Promise<RecordingProxy> {
  const target = new URL(opts.target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const calls = classify(opts.service, req, body);
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (up) => {
          for (const { action, resource } of calls)
            opts.record({ caller: opts.caller, accessKeyId: accessKeyIdOf(req), action, resource, status: up.statusCode ?? 0 });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `Credential=AKID/20261201/eu-west-1/sqs/aws4_request` → `AKID`. */
function accessKeyIdOf(req: IncomingMessage): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

const IAM_PREFIX: Record<Exclude<AwsService, 's3'>, string> = { sqs: 'sqs', dynamodb: 'dynamodb', secretsmanager: 'secretsmanager' };

/** Batch operations IAM authorises as their single form. */
const BATCH_AS_SINGLE: Record<string, string> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
};

type Call = { action: string; resource: string | undefined };

/** The IAM actions one request needs (a DynamoDB transaction needs each of its items' actions; there is no dynamodb:Transact* action). */
export function classify(service: AwsService, req: IncomingMessage, body: Buffer): Call[] {
  if (service === 's3') return [classifyS3(req.method ?? 'GET', new URL(req.url ?? '/', 'http://proxy'), req.headers)];
  const amzTarget = String(req.headers['x-amz-target'] ?? '');
  let operation = amzTarget.includes('.') ? amzTarget.slice(amzTarget.lastIndexOf('.') + 1) : undefined;
  let params: Record<string, unknown>;
  if (operation) {
    try {
      params = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      params = {};
    }
  } else {
    const query = new URLSearchParams(String(req.headers['content-type']).includes('x-www-form-urlencoded') ? body.toString('utf8') : '');
    for (const [k, v] of new URL(req.url ?? '/', 'http://proxy').searchParams) query.append(k, v);
    operation = query.get('Action') ?? 'Unknown';
    params = Object.fromEntries(query);
  }
  if (service === 'dynamodb' && (operation === 'TransactWriteItems' || operation === 'TransactGetItems')) return transactionItems(params);
  const raw = `${IAM_PREFIX[service]}:${operation}`;
  const action = BATCH_AS_SINGLE[raw] ?? raw;
  if (service === 'dynamodb' && (operation === 'BatchGetItem' || operation === 'BatchWriteItem')) {
    return Object.keys((params.RequestItems ?? {}) as object).map((table) => ({ action, resource: table }));
  }
  const resource = service === 'sqs' ? params.QueueUrl : service === 'dynamodb' ? params.TableName : params.SecretId;
  return [{ action, resource: typeof resource === 'string' ? resource : undefined }];
}

/** TransactWriteItems / TransactGetItems are authorised item by item (DynamoDB developer guide, "Using IAM with DynamoDB transactions"). */
function transactionItems(params: Record<string, unknown>): Call[] {
  const single: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
  return ((params.TransactItems ?? []) as Record<string, { TableName?: string }>[]).flatMap((item) =>
    Object.entries(item).map(([kind, op]) => ({ action: `dynamodb:${single[kind] ?? kind}`, resource: op.TableName })),
  );
}

/**
 * S3 REST, path style (`/bucket/key`), mapped to the IAM action that
 * authorises it (service authorization reference, Amazon S3): HeadObject and
 * GetObject need s3:GetObject, ListObjects(V2) and HeadBucket s3:ListBucket,
 * every upload form s3:PutObject.
 */
function classifyS3(method: string, url: URL, headers: IncomingMessage['headers']): { action: string; resource: string | undefined } {
  const [bucket = '', ...keyParts] = url.pathname.slice(1).split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const q = url.searchParams;
  if (!key) {
    if (method === 'GET' && q.has('location')) return { action: 's3:GetBucketLocation', resource: bucket };
    if (method === 'POST' && q.has('delete')) return { action: 's3:DeleteObject', resource: bucket };
    if (method === 'GET' && q.has('versions')) return { action: 's3:ListBucketVersions', resource: bucket };
    if (method === 'GET' || method === 'HEAD') return { action: 's3:ListBucket', resource: bucket };
    return { action: `s3:${method}Bucket`, resource: bucket };
  }
  const object = `${bucket}/${key}`;
  switch (method) {
    case 'GET':
    case 'HEAD':
      return { action: 's3:GetObject', resource: object };
    case 'PUT':
    case 'POST':
      // A copy also reads its source; none of our functions copies.
      return { action: headers['x-amz-copy-source'] ? 's3:PutObject+copy' : 's3:PutObject', resource: object };
    case 'DELETE':
      return { action: q.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', resource: object };
    default:
      return { action: `s3:${method}Object`, resource: object };
  }
}

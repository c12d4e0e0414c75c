import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * Grants cut to the calls the functions make, as recorded per function by
 * test/deployed/deployed-bundles.test.ts against the bundles themselves.
 * CDK's grant helpers (grantReadWriteData, grantSendMessages, grantRead,
 * grantPut) add actions no code path here calls: batch, scan and stream
 * reads, queue lookups by name, object ACL/tag/retention writes.
 */

/**
 * What DynamoStateStore sends (adapters/aws/dynamo-state-store.ts and
 * settled-shards.ts): single-item Get/Put/Update/Delete, most of them
 * conditional, and Query for a run's shards and loads. No Scan, batch,
 * transaction, DescribeTable or stream call. The table's encryption is AWS
 * managed, so no KMS grant goes with it.
 */
export const STATE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;
export const STATE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

export function grantStateReadWrite(table: dynamodb.ITable, grantee: iam.IGrantable): void {
  table.grant(grantee, ...STATE_READ_ACTIONS, ...STATE_WRITE_ACTIONS);
}

/** The monitor reads two items by key (the load heartbeat and the open-run marker) and queries nothing. */
export function grantStateItemRead(table: dynamodb.ITable, grantee: iam.IGrantable): void {
  table.grant(grantee, 'dynamodb:GetItem');
}

/** SendMessage(Batch) by queue URL: the URL comes from the environment, so no GetQueueUrl; no GetQueueAttributes either. SQS-managed encryption needs no KMS grant. */
export function grantSend(queue: sqs.IQueue, grantee: iam.IGrantable): void {
  queue.grant(grantee, 'sqs:SendMessage');
}

/**
 * GetObject on the staged prefix, nothing on the bucket: the loader reads
 * keys it was told about and never lists. Without s3:ListBucket a missing
 * key answers 403 instead of 404; the loader treats both as a failed load.
 */
export function grantStagedGet(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(`${prefix}*`)] });
}

/** A single PutObject per staged object (never multipart, so no AbortMultipartUpload), no ACL, tag or retention writes. */
export function grantStagedPut(bucket: s3.IBucket, grantee: iam.IGrantable, prefix: string): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [bucket.arnForObjects(`${prefix}*`)] });
}

/**
 * What Lambda's SQS poller needs of the function's role: ReceiveMessage,
 * DeleteMessage and GetQueueAttributes (the Lambda developer guide, "Amazon
 * SQS execution role permissions", and the AWSLambdaSQSQueueExecutionRole
 * managed policy). CDK's SqsEventSource grants ChangeMessageVisibility and
 * GetQueueUrl as well, which neither the poller nor our code calls.
 */
export const SQS_POLLER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] as const;

export function grantPoll(queue: sqs.IQueue, grantee: iam.IGrantable): void {
  queue.grant(grantee, ...SQS_POLLER_ACTIONS);
}

/**
 * GetSecretValue only: the handlers read the value at cold start (Powertools'
 * SecretsProvider sends GetSecretValue and nothing else); grantRead would add
 * DescribeSecret. A secret named by its name alone is matched with the
 * six-character suffix Secrets Manager appends. A customer-managed key is
 * granted kms:Decrypt through Secrets Manager only.
 */
export function grantSecretValue(secret: secretsmanager.ISecret, grantee: iam.IGrantable): void {
  const arn = secret.secretFullArn ?? `${secret.secretArn}-??????`;
  iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [arn] });
  if (secret.encryptionKey) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [secret.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(secret).region}.amazonaws.com` } },
      }),
    );
  }
}

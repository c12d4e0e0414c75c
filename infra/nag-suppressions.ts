import { Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (v3) findings we accept, each on the one construct it concerns and
 * each with its reason. cdk-nag 3 reports through CDK's policy-validation
 * framework, so an acknowledgment is `Validations.of(construct).acknowledge`
 * with the finding id `AwsSolutions::<rule>[<finding>]`; there is no
 * stack-wide blanket acknowledgment anywhere.
 */
function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}

/** The `<LogicalId.Arn>` form cdk-nag uses for a bucket's ARN in IAM findings. */
function bucketArnToken(bucket: s3.IBucket): string {
  const cfn = bucket.node.defaultChild;
  if (!cfn) throw new Error('bucket has no CfnBucket');
  return `<${Stack.of(bucket).getLogicalId(cfn as never)}.Arn>`;
}

/** The staging bucket: no server access logs. */
export function acknowledgeStagingBucket(bucket: s3.IBucket): void {
  acknowledge(
    bucket,
    'AwsSolutions-S1',
    "Internal staging bucket written and read only by this pipeline's own roles (public access blocked, TLS only, prefix-scoped grants); request-level auditing, if wanted, comes from account-wide CloudTrail S3 data events rather than a per-stage access-log bucket.",
  );
}

/** A secret this stack creates: no automatic rotation. */
export function acknowledgeCreatedSecret(secret: IConstruct): void {
  acknowledge(
    secret,
    'AwsSolutions-SMG4',
    'Holds credentials of a ClickHouse user managed outside AWS (ClickHouse Cloud); Secrets Manager has no rotation function for it. Operators rotate by changing the password in ClickHouse and updating the secret (docs/OPERATIONS.md); the loader reads it at cold start.',
  );
}

/** The loader's s3:GetObject on the staged prefix (infra/constructs/grants.ts, grantStagedGet). */
export function acknowledgeStagedRead(role: IConstruct, bucket: s3.IBucket, prefix: string): void {
  acknowledgeStagedObjects(role, bucket, prefix);
}

/** The fetcher's s3:PutObject on the staged prefix (infra/constructs/grants.ts, grantStagedPut). */
export function acknowledgeStagedPut(role: IConstruct, bucket: s3.IBucket, prefix: string): void {
  acknowledgeStagedObjects(role, bucket, prefix);
}

function acknowledgeStagedObjects(role: IConstruct, bucket: s3.IBucket, prefix: string): void {
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::${bucketArnToken(bucket)}/${prefix}*]`,
    "Object keys are generated per run and shard (staged/<run>/<source>/<shard>/<seq>.ndjson.gz), so object-level permissions name the staged/ prefix of this stage's own bucket, never the whole bucket or any other bucket.",
  );
}

/**
 * CDK's own singleton that configures the bucket's S3 -> SQS notification
 * (a custom resource Lambda, created by bucket.addEventNotification).
 */
export function acknowledgeBucketNotificationsHandler(stack: Stack): void {
  const handler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (!handler) return;
  acknowledge(
    handler,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK-provided custom resource (BucketNotificationsHandler) that sets the staging bucket's S3 -> SQS notification at deploy time; its role and runtime are fixed by aws-cdk-lib, it only writes its own logs, and it runs only during deployments.",
  );
}

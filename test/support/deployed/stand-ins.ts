/* eslint-disable @typescript-eslint/no-explicit-any -- a synthesised template is untyped JSON */
import type { LocalAws } from '#local/emulators.ts';
import type { CfnTemplate, LocalResource, Resolver } from './template.ts';

/**
 * What each resource of the template is here: its queues, bucket and table
 * are the local stand-ins (matched by the name's role: shards, loads and
 * their DLQs), each secret gets an ARN the Secrets Manager stand-in serves,
 * and log groups keep their names (only the role's grants name them).
 */
export function localResolver(
  template: CfnTemplate,
  aws: LocalAws,
  region: string,
  account: string,
): { resolver: Resolver; secretArns: Record<string, string> } {
  const resources: Record<string, LocalResource> = {};
  const secretArns: Record<string, string> = {};
  const queueArn = (url: string) => `arn:aws:sqs:${region}:${account}:${url.slice(url.lastIndexOf('/') + 1)}`;
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties as Record<string, any>;
    switch (r.Type) {
      case 'AWS::SQS::Queue': {
        const name = String(p.QueueName);
        const url = name.endsWith('-shards-dlq')
          ? aws.shardDlqUrl
          : name.endsWith('-loads-dlq')
            ? aws.loadDlqUrl
            : name.endsWith('-shards')
              ? aws.shardQueueUrl
              : name.endsWith('-loads')
                ? aws.loadQueueUrl
                : undefined;
        if (!url) throw new Error(`no local queue for ${name}`);
        resources[id] = { ref: url, attributes: { Arn: queueArn(url), QueueName: url.slice(url.lastIndexOf('/') + 1), QueueUrl: url } };
        break;
      }
      case 'AWS::S3::Bucket':
        resources[id] = { ref: aws.bucket, attributes: { Arn: `arn:aws:s3:::${aws.bucket}`, DomainName: `${aws.bucket}.s3.amazonaws.com` } };
        break;
      case 'AWS::DynamoDB::Table':
        resources[id] = { ref: aws.table, attributes: { Arn: `arn:aws:dynamodb:${region}:${account}:table/${aws.table}` } };
        break;
      case 'AWS::SecretsManager::Secret': {
        // Ref of a secret is its full ARN: the name and a 6-character suffix.
        const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${String(p.Name ?? id)}-AbCdEf`;
        secretArns[id] = arn;
        resources[id] = { ref: arn, attributes: {} };
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = String(p.LogGroupName);
        resources[id] = { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` } };
        break;
      }
    }
  }
  return { resolver: { region, account, resources }, secretArns };
}

/** The ARN an IAM policy would be evaluated against for a recorded call's resource. */
export function resourceArn(service: string, resource: string | undefined, r: Resolver): string {
  if (!resource) return '*';
  switch (service) {
    case 'sqs':
      return `arn:aws:sqs:${r.region}:${r.account}:${resource.slice(resource.lastIndexOf('/') + 1)}`;
    case 's3':
      return `arn:aws:s3:::${resource}`;
    case 'dynamodb':
      return resource.startsWith('arn:') ? resource : `arn:aws:dynamodb:${r.region}:${r.account}:table/${resource}`;
    default:
      return resource;
  }
}

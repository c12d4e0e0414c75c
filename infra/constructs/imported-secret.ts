import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** An existing secret, as a stage's configuration names it. */
export type SecretReference = { from: 'arn'; arn: string; kmsKeyArn?: string } | { from: 'name'; name: string; kmsKeyArn?: string };

/**
 * An existing Secrets Manager secret: by full ARN (the grant is exact), or by
 * name (the grant covers `<name>-??????`, the suffix Secrets Manager adds).
 * A customer-managed KMS key, if given, is granted kms:Decrypt with the read.
 */
export function importSecret(scope: Construct, id: string, ref: SecretReference): secretsmanager.ISecret {
  const encryptionKey = ref.kmsKeyArn ? kms.Key.fromKeyArn(scope, `${id}Key`, ref.kmsKeyArn) : undefined;
  if (ref.from === 'arn') return secretsmanager.Secret.fromSecretAttributes(scope, id, { secretCompleteArn: ref.arn, encryptionKey });
  const secretPartialArn = Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: ref.name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return secretsmanager.Secret.fromSecretAttributes(scope, id, { secretPartialArn, encryptionKey });
}

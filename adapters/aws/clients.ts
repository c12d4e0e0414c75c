import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsEndpoint {
  region: string;
  /** Set to talk to an emulator; in Lambda it stays undefined and the SDK resolves AWS endpoints. */
  endpoint?: string;
}

/** Emulators need explicit credentials even though they ignore them. */
function emulatorOptions(e: AwsEndpoint) {
  if (!e.endpoint) return { region: e.region };
  return {
    region: e.region,
    endpoint: e.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

export function s3Client(e: AwsEndpoint): S3Client {
  return new S3Client({
    ...emulatorOptions(e),
    forcePathStyle: Boolean(e.endpoint),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function sqsClient(e: AwsEndpoint): SQSClient {
  return new SQSClient(emulatorOptions(e));
}

export function dynamoDocumentClient(e: AwsEndpoint): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(emulatorOptions(e)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

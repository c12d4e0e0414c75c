import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One secret the stand-in serves: its full ARN (what the template's Ref resolves to) and its string value. */
export interface StandInSecret {
  arn: string;
  value: string;
}

export interface SecretsManagerStandIn {
  /** For AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  url: string;
  close(): Promise<void>;
}

/**
 * Secrets Manager's GetSecretValue, as the service speaks it: AWS JSON 1.1
 * (POST /, `X-Amz-Target: secretsmanager.GetSecretValue`, body
 * `{"SecretId": ...}`), answered with `{ARN, Name, VersionId, SecretString,
 * VersionStages, CreatedDate}` (CreatedDate in epoch seconds) and errors as
 * HTTP 400 `{"__type", "message"}`. Shapes from the API reference
 * (secretsmanager/latest/apireference/API_GetSecretValue) and
 * @aws-sdk/client-secrets-manager's awsJson1_1 deserialisers. No emulator for
 * the service is installed here; this is the one call the functions make.
 *
 * A SecretId may be the full ARN, the ARN without its 6-character suffix, or
 * the name, as the service accepts.
 */
export async function startSecretsManagerStandIn(secrets: readonly StandInSecret[]): Promise<SecretsManagerStandIn> {
  const created = Math.floor(Date.now() / 1000);
  const find = (id: string) =>
    secrets.find((s) => {
      const name = nameOf(s.arn);
      return id === s.arn || id === name || id === partialArnOf(s.arn);
    });

  const server = createServer((req, res) => {
    void answer(req, res);
  });
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      return reply(res, 400, { __type: 'UnknownOperationException', message: `the stand-in answers GetSecretValue only, not ${target || req.method}` });
    }
    let input: { SecretId?: unknown; VersionId?: unknown; VersionStage?: unknown };
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input;
    } catch {
      return reply(res, 400, { __type: 'SerializationException', message: 'the body is not JSON' });
    }
    if (typeof input.SecretId !== 'string') return reply(res, 400, { __type: 'InvalidParameterException', message: 'SecretId is required' });
    const secret = find(input.SecretId);
    if (!secret) return reply(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    if (input.VersionStage !== undefined && input.VersionStage !== 'AWSCURRENT') {
      return reply(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for staging label" });
    }
    return reply(res, 200, {
      ARN: secret.arn,
      Name: nameOf(secret.arn),
      VersionId: '00000000-0000-4000-8000-000000000001',
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: created,
    });
  }

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

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID() });
  res.end(JSON.stringify(body));
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>` → `<name>`. */
function nameOf(arn: string): string {
  const resource = arn.split(':secret:')[1] ?? arn;
  return /-[A-Za-z0-9]{6}$/.test(resource) ? resource.slice(0, -7) : resource;
}

function partialArnOf(arn: string): string {
  return arn.slice(0, arn.indexOf(':secret:') + ':secret:'.length) + nameOf(arn);
}

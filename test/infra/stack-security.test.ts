import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type EnvironmentConfig } from '#infra/environments.ts';
import { actionsOf, FUNCTIONS, functions, outdir, resources, stacks, statementsOf, synthesiseAllStages, template, type Resource } from './synth.ts';

/** Each stage's secrets and grants, and cdk-nag's AWS Solutions checks over the app. */
synthesiseAllStages();

describe.each(ENVIRONMENTS.map((e) => e.stage))('stage %s', (stage) => {
  let config: EnvironmentConfig;
  beforeAll(() => {
    config = stacks.find((s) => s.config.stage === stage)!.config;
  });

  it('gives the loader only the secret ARN, grants it that one secret, and has no credential anywhere in the template', () => {
    const f = functions(stage);
    const env = f.loader[1].Properties.Environment.Variables as Record<string, unknown>;
    const secret = config.clickhouse.secret;
    if (secret.from === 'create') {
      const [secretId, created] = resources(stage, 'AWS::SecretsManager::Secret')[0]!;
      expect(env.CLICKHOUSE_SECRET_ARN).toEqual({ Ref: secretId });
      expect(created.Properties.Name).toBe(`polymarket-sync/${stage}/clickhouse`);
      expect(created.Properties.SecretString).toBeUndefined();
      expect(created.Properties.GenerateSecretString.GenerateStringKey).toBe('password');
      expect(JSON.parse(created.Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ url: '', username: '' });
    } else if (secret.from === 'arn') {
      template(stage).resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(env.CLICKHOUSE_SECRET_ARN).toBe(secret.arn);
    } else {
      template(stage).resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(env.CLICKHOUSE_SECRET_ARN).toBe(`arn:aws:secretsmanager:${config.region}:${config.account}:secret:${secret.name}`);
    }
    expect(env.CLICKHOUSE_DATABASE).toBe(config.clickhouse.database);

    const secretStatements = statementsOf(stage, f.loader[0]).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(secretStatements).toHaveLength(1);
    expect(JSON.stringify(secretStatements[0]!.Resource)).not.toBe('"*"');
    // The monitor's hourly quality probe reads ClickHouse with the loader's secret.
    const monitorEnv = f.monitor[1].Properties.Environment.Variables as Record<string, unknown>;
    expect(monitorEnv.CLICKHOUSE_SECRET_ARN).toEqual(env.CLICKHOUSE_SECRET_ARN);
    expect(monitorEnv.CLICKHOUSE_DATABASE).toBe(config.clickhouse.database);
    expect(statementsOf(stage, f.monitor[0]).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))).toHaveLength(1);
    // The planner and the fetcher never read the ClickHouse secret; they read the source-URLs secret only if the stage has one (test/infra/secrets.test.ts).
    for (const other of ['planner', 'fetcher'] as const) {
      const reads = statementsOf(stage, f[other][0]).filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
      expect(JSON.stringify(reads)).not.toContain(JSON.stringify(env.CLICKHOUSE_SECRET_ARN));
      expect(reads).toHaveLength(config.sources.urlsSecret ? 1 : 0);
    }

    // No function gets a credential through its environment, and no value is in the template.
    for (const [, [, fn]] of Object.entries(functions(stage))) {
      const names = Object.keys(fn.Properties.Environment.Variables as object);
      expect(names.filter((n) => /PASSWORD|USER(NAME)?$|TOKEN|CREDENTIAL/i.test(n))).toEqual([]);
    }
    const json = JSON.stringify(template(stage).toJSON());
    expect(json).not.toMatch(/"SecretString"/);
    expect(json).not.toMatch(/CLICKHOUSE_(PASSWORD|USER|URL)/);
    // No password value anywhere: no `"password": ...` pair in any property or
    // embedded JSON (only GenerateStringKey names the key Secrets Manager fills).
    expect(json).not.toMatch(/password\\*"\s*:/i);
  });

  it('grants each function only what it needs, through scoped grants', () => {
    const f = functions(stage);
    // Exactly the calls each function makes (test/deployed/ records them against the bundles), plus what Lambda itself does with the role.
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const state = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
    const poll = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
    const secret = ['secretsmanager:GetSecretValue'];
    const sourceUrls = config.sources.urlsSecret ? secret : [];
    const expected = {
      // No S3 action: the planner announces unloaded keys from state, it reads no object.
      planner: [...logs, ...state, 'sqs:SendMessage', ...sourceUrls],
      fetcher: [...logs, ...state, ...poll, 'sqs:SendMessage', 's3:PutObject', ...sourceUrls],
      loader: [...logs, ...state, ...poll, 's3:GetObject', ...secret],
      monitor: [...logs, 'dynamodb:GetItem', ...secret],
    };
    for (const key of FUNCTIONS) expect([...new Set(actionsOf(stage, f[key][0]))].sort(), key).toEqual([...new Set(expected[key])].sort());

    for (const key of FUNCTIONS) {
      for (const s of statementsOf(stage, f[key][0])) {
        expect([s.Action].flat()).not.toContain('*');
        expect(s.Resource).not.toBe('*');
      }
    }
    // No AWS managed policy on our roles: each writes to its own log group only.
    for (const key of FUNCTIONS) {
      const roleId = f[key][1].Properties.Role['Fn::GetAtt'][0] as string;
      const role = template(stage).toJSON().Resources[roleId] as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(actionsOf(stage, f[key][0])).toEqual(expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']));
    }
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding for any stage', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    const nag = report.pluginReports.filter((p) => p.pluginName === 'AwsSolutions');
    expect(nag).toHaveLength(1);
    const open = nag.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
    expect(open).toEqual([]);
    expect(nag[0]!.conclusion).toBe('success');
  });

  it('acknowledges each finding on a specific construct, never on a stack, and always with a reason', () => {
    let count = 0;
    for (const stack of stacks) {
      expect(stack.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toEqual([]);
      for (const c of stack.node.findAll()) {
        for (const m of c.node.metadata.filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
          for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
            count++;
            expect(id).toMatch(/^AwsSolutions::AwsSolutions-/);
            expect(reason.length, id).toBeGreaterThan(60);
          }
        }
      }
    }
    expect(count).toBeGreaterThan(0);
  });

  it('does fail synth on an unacknowledged finding (the checks are really on)', () => {
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'polymarket-sync-nag-')) });
    const stack = new Stack(app, 'NagProbe');
    new s3.Bucket(stack, 'Open');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
    rmSync(app.outdir, { recursive: true, force: true });
  });
});

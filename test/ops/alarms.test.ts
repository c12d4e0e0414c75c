/* eslint-disable @typescript-eslint/no-explicit-any -- synthesised CloudFormation is untyped JSON */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS } from '#infra/environments.ts';
import { REPO_ROOT } from '#infra/paths.ts';
import { addStages } from '#infra/stages.ts';
import { DEFAULT_MAX_DAILY_FILLS_DROP_PERCENT, DEFAULT_MAX_UNMAPPED_FILLS_PERCENT } from '#infra/constructs/monitoring.ts';

/**
 * The data-quality alarms in every stage's synthesised template: each on the
 * monitor's hourly metric, to the alarm topic, with the runbook named. The
 * stacks are synthesised with cdk-nag on and without bundling the functions
 * (the bundles are stack.test.ts's business).
 */
const templates = new Map<string, Template>();

beforeAll(() => {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stacks = addStages(app, ENVIRONMENTS);
  app.synth();
  for (const s of stacks) templates.set(s.config.stage, Template.fromStack(s));
});

const insight = (a: Record<string, any>) => (a.Metrics as { Expression?: string; Period?: number }[])[0]!;

describe.each(ENVIRONMENTS.map((e) => e.stage))('stage %s', (stage) => {
  const alarms = () => {
    const t = templates.get(stage)!;
    return new Map(
      Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r: any) => [
        String(r.Properties.AlarmName).replace(`polymarket-sync-${stage}-`, ''),
        r.Properties,
      ]),
    );
  };

  it('alarms on a daily fills drop, unmapped fills, a shrinking mapping, misattributed activity and a failing quality probe, to the SNS topic', () => {
    const byName = alarms();
    const [topicId] = Object.keys(templates.get(stage)!.findResources('AWS::SNS::Topic'));
    const expected = {
      'daily-fills-drop': { metric: 'MAX(DailyFillsDropPercent)', threshold: DEFAULT_MAX_DAILY_FILLS_DROP_PERCENT, op: 'GreaterThanThreshold', periods: 2 },
      'unmapped-fills': { metric: 'MAX(UnmappedFillsPercent)', threshold: DEFAULT_MAX_UNMAPPED_FILLS_PERCENT, op: 'GreaterThanThreshold', periods: 2 },
      'mapped-tokens-decreased': { metric: 'MAX(MappedTokensLost)', threshold: 0, op: 'GreaterThanThreshold', periods: 1 },
      'activity-misattributed': { metric: 'MAX(MisattributedActivityAddresses)', threshold: 0, op: 'GreaterThanThreshold', periods: 1 },
      'quality-probe-failing': { metric: 'SUM(QualityProbeFailed)', threshold: 1, op: 'GreaterThanOrEqualToThreshold', periods: 2 },
    };
    for (const [name, e] of Object.entries(expected)) {
      const a = byName.get(name);
      expect(a, name).toBeDefined();
      expect(insight(a!)).toMatchObject({ Expression: `SELECT ${e.metric} FROM PolymarketSync WHERE Stage = '${stage}'`, Period: 3600 });
      expect(a).toMatchObject({ Threshold: e.threshold, ComparisonOperator: e.op, EvaluationPeriods: e.periods, TreatMissingData: 'notBreaching' });
      expect(a!.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a!.OKActions).toEqual([{ Ref: topicId }]);
      expect(a!.AlarmDescription).toContain(`docs/OPERATIONS.md#runbook (${name})`);
    }
  });

  it('gives the monitor the ClickHouse secret by ARN, and read access to it', () => {
    const t = templates.get(stage)!;
    const monitor = Object.values(t.findResources('AWS::Lambda::Function')).find(
      (r: any) => r.Properties.FunctionName === `polymarket-sync-${stage}-monitor`,
    ) as any;
    const env = monitor.Properties.Environment.Variables;
    expect(env.CLICKHOUSE_SECRET_ARN).toBeDefined();
    expect(JSON.stringify(env)).not.toMatch(/CLICKHOUSE_(PASSWORD|USER|URL)/);
    const roleId = monitor.Properties.Role['Fn::GetAtt'][0] as string;
    const actions = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: any) => [s.Action].flat());
    expect(actions).toContain('secretsmanager:GetSecretValue');
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config.ts';
import { stageChainAdapters, stageTarget } from '#local/cli/stage.ts';

/** Every resource name given, so resolving a stage asks SQS nothing. */
const NAMED = {
  SHARD_QUEUE_URL: 'https://sqs.example/shards',
  SHARD_DLQ_URL: 'https://sqs.example/shards-dlq',
  LOAD_QUEUE_URL: 'https://sqs.example/loads',
  LOAD_DLQ_URL: 'https://sqs.example/loads-dlq',
};
const ENVIRONMENTS = [
  { stage: 'dev', account: '111111111111', region: 'eu-west-1' },
  { stage: 'prod', account: '333333333333', region: 'ap-southeast-2' },
] as const;

describe('--stage', () => {
  it("asks the stage's own region, whatever AWS_REGION says", async () => {
    const target = await stageTarget('prod', { ...NAMED, AWS_REGION: 'us-east-1' }, ENVIRONMENTS);
    expect(target.describe).toBe('stage prod (ap-southeast-2)');
    expect(target.names).toMatchObject({
      stage: 'prod',
      region: 'ap-southeast-2',
      table: 'polymarket-sync-prod-state',
      plannerFunction: 'polymarket-sync-prod-planner',
    });
    expect(await target.sqs.config.region()).toBe('ap-southeast-2');
  });

  it('refuses a stage the environments do not define, naming the ones they do', () => {
    expect(() => stageTarget('nosuch', NAMED, ENVIRONMENTS)).toThrow(ConfigError);
    expect(() => stageTarget('nosuch', NAMED, ENVIRONMENTS)).toThrow('no stage named "nosuch": infra/environments.ts defines dev, prod;');
  });

  it("gives check the collateral adapters the stage's configuration names, none when it names none", () => {
    const adapters = ['0xada3000000000000000000000000000000000003'];
    const environments = [{ stage: 'dev' }, { stage: 'prod', sources: { chainAdapters: adapters } }];
    expect(stageChainAdapters('prod', environments)).toEqual(adapters);
    expect(stageChainAdapters('dev', environments)).toEqual([]);
    expect(stageChainAdapters('nosuch', environments)).toEqual([]);
  });
});

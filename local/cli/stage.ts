import { deployedTarget, type OpsTarget } from '#adapters/aws/ops-target.ts';
import { ConfigError } from '#shared/config.ts';
import { ENVIRONMENTS, type EnvironmentConfigInput } from '#infra/environments.ts';

/**
 * The deployed stage a `--stage` names, as infra/environments.ts defines it.
 * A name it does not define is refused with the names it does, before AWS is
 * asked anything (else it surfaces as a missing queue, or as missing
 * credentials). The commands ask the stage's own region: a shell's
 * AWS_REGION, or its absence (us-east-1), may point elsewhere.
 */
export function stageTarget(
  stage: string,
  env: NodeJS.ProcessEnv = process.env,
  environments: readonly Pick<EnvironmentConfigInput, 'stage' | 'region'>[] = ENVIRONMENTS,
): Promise<OpsTarget> {
  const config = environments.find((e) => e.stage === stage);
  if (!config) {
    const names = environments.map((e) => e.stage).join(', ');
    // A configuration mistake: the message alone, before AWS is asked anything.
    throw new ConfigError(`no stage named "${stage}": infra/environments.ts defines ${names || 'none'}; add it there and deploy it (npx cdk deploy) first`);
  }
  return deployedTarget(stage, { ...env, AWS_REGION: config.region });
}

/**
 * The collateral adapters a stage names (`sources.chainAdapters`), which its
 * functions read the chain with; an empty list when it names none (its
 * functions then use the product's defaults), or when no such stage exists.
 */
export function stageChainAdapters(
  stage: string,
  environments: readonly Pick<EnvironmentConfigInput, 'stage' | 'sources'>[] = ENVIRONMENTS,
): readonly string[] {
  return environments.find((e) => e.stage === stage)?.sources?.chainAdapters ?? [];
}

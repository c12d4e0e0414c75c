import { deployedTarget, type OpsTarget } from '#adapters/aws/ops-target.ts';
import { ConfigError } from '#shared/config.ts';
import { ENVIRONMENTS, type EnvironmentConfigInput } from '#infra/environments.ts';

/**
 * The deployed stage a `--stage` names, as infra/environments.ts defines it:
 * a name it does not define is refused with the names it does (before, it
 * surfaced as a missing queue or missing credentials), and the commands ask
 * the stage's own region, whatever AWS_REGION says (before, a shell without
 * AWS_REGION asked us-east-1 for a stage deployed elsewhere).
 */
export function stageTarget(
  stage: string,
  env: NodeJS.ProcessEnv = process.env,
  environments: readonly EnvironmentConfigInput[] = ENVIRONMENTS,
): Promise<OpsTarget> {
  const config = environments.find((e) => e.stage === stage);
  if (!config) {
    const names = environments.map((e) => e.stage).join(', ');
    // A configuration mistake: the message alone, before AWS is asked anything.
    throw new ConfigError(`no stage named "${stage}": infra/environments.ts defines ${names || 'none'}; add it there and deploy it (npx cdk deploy) first`);
  }
  return deployedTarget(stage, { ...env, AWS_REGION: config.region });
}

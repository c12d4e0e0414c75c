import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseEnvironmentConfig } from './environments.ts';
import { PolymarketSyncStack } from './sync-stack.ts';

export interface AddStagesOptions {
  /** Directory holding the handler entries; defaults to the repository's functions/. */
  readonly functionsDir?: string;
  /** Run cdk-nag's AWS Solutions checks over every stage (on by default: a finding without a suppression fails synth). */
  readonly nag?: boolean;
}

/** The stack name of a stage: what `cdk deploy` takes. */
export function stackName(stage: string): string {
  return `PolymarketSync-${stage}`;
}

/**
 * Adds one stack per environment configuration. Every configuration is
 * validated first, so one bad environment fails synth before anything is
 * built, with a message naming the field.
 */
export function addStages(app: App, environments: readonly unknown[], options: AddStagesOptions = {}): PolymarketSyncStack[] {
  const configs = environments.map((e) => parseEnvironmentConfig(e));
  const seen = new Set<string>();
  for (const c of configs) {
    if (seen.has(c.stage)) throw new Error(`Invalid configuration: stage "${c.stage}" is defined twice`);
    seen.add(c.stage);
  }
  const stacks = configs.map((config) => new PolymarketSyncStack(app, stackName(config.stage), { config, functionsDir: options.functionsDir }));
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stacks;
}

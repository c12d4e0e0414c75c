/* eslint-disable @typescript-eslint/no-explicit-any -- synthesised CloudFormation is untyped JSON; these tests index into it freely */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, expect } from 'vitest';
import { ENVIRONMENTS } from '#infra/environments.ts';
import { REPO_ROOT } from '#infra/paths.ts';
import { addStages } from '#infra/stages.ts';
import type { PolymarketSyncStack } from '#infra/sync-stack.ts';

export const FUNCTIONS = ['planner', 'fetcher', 'loader', 'monitor'] as const;
export type FunctionKey = (typeof FUNCTIONS)[number];

/** Where the app was synthesised, and its stacks: set by synthesiseAllStages's beforeAll (read through live bindings). */
export let outdir: string;
export let stacks: PolymarketSyncStack[];
const templates = new Map<string, Template>();

export type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };

/**
 * Synthesises every stage once per test file, in one app, with the same
 * feature flags as `npm run synth` (cdk.json) and cdk-nag's AWS Solutions
 * checks on. Bundling happens once: the stages share the four bundles
 * through CDK's asset cache. Registers the file's beforeAll and afterAll.
 */
export function synthesiseAllStages(): void {
  beforeAll(() => {
    const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    outdir = mkdtempSync(path.join(tmpdir(), 'polymarket-sync-cdk-'));
    // Asset metadata (set by the CDK CLI, not by a bare App) lets the bundle
    // tests find each function's asset directory.
    const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true } });
    stacks = addStages(app, ENVIRONMENTS);
    // Throws if cdk-nag reports a finding nobody acknowledged.
    app.synth();
    for (const s of stacks) templates.set(s.config.stage, Template.fromStack(s));
    // Bundling four functions and three stages with cdk-nag: minutes on a loaded machine; the bound only catches a hang.
  }, 600_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });
}

export function template(stage: string): Template {
  const t = templates.get(stage);
  if (!t) throw new Error(`no template for ${stage}`);
  return t;
}

export function resources(stage: string, type: string): [string, Resource][] {
  return Object.entries(template(stage).findResources(type)) as [string, Resource][];
}

/** Our four functions (not CDK's bucket-notification helper), by short name. */
export function functions(stage: string): Record<FunctionKey, [string, Resource]> {
  const out: Partial<Record<FunctionKey, [string, Resource]>> = {};
  for (const [id, r] of resources(stage, 'AWS::Lambda::Function')) {
    const name = r.Properties.FunctionName as string | undefined;
    const key = FUNCTIONS.find((f) => name === `polymarket-sync-${stage}-${f}`);
    if (key) out[key] = [id, r];
  }
  expect(Object.keys(out).sort()).toEqual([...FUNCTIONS].sort());
  return out as Record<FunctionKey, [string, Resource]>;
}

export function logicalIdOfQueue(stage: string, queueName: string): string {
  const found = resources(stage, 'AWS::SQS::Queue').find(([, r]) => r.Properties.QueueName === queueName);
  if (!found) throw new Error(`no queue ${queueName}`);
  return found[0];
}

export function mappingFor(stage: string, fnLogicalId: string): Resource {
  const found = resources(stage, 'AWS::Lambda::EventSourceMapping').find(([, r]) => r.Properties.FunctionName?.Ref === fnLogicalId);
  if (!found) throw new Error(`no event source mapping for ${fnLogicalId}`);
  return found[1];
}

/** Every IAM statement attached to a function's role. */
export function statementsOf(stage: string, fnLogicalId: string): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const fn = template(stage).toJSON().Resources[fnLogicalId] as Resource;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return resources(stage, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

export function actionsOf(stage: string, fnLogicalId: string): string[] {
  return statementsOf(stage, fnLogicalId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

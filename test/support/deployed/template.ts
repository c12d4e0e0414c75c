/* eslint-disable @typescript-eslint/no-explicit-any -- a synthesised template is untyped JSON */
/**
 * Reading a synthesised template as the deployed functions see it: each
 * function's environment with its CloudFormation intrinsics resolved to the
 * local stand-ins, and what each function's role allows.
 */

export type CfnTemplate = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

/** What a resource's Ref and Fn::GetAtt resolve to, here. */
export interface LocalResource {
  ref: string;
  attributes: Record<string, string>;
}

export interface Resolver {
  region: string;
  account: string;
  resources: Record<string, LocalResource>;
}

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split and the pseudo parameters; anything else is refused. */
export function resolve(value: unknown, r: Resolver): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const v = value as Record<string, any>;
  if ('Ref' in v) {
    const pseudo: Record<string, string> = { 'AWS::Region': r.region, 'AWS::AccountId': r.account, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
    const name = v.Ref as string;
    const found = pseudo[name] ?? r.resources[name]?.ref;
    if (found === undefined) throw new Error(`no local stand-in for Ref ${name}`);
    return found;
  }
  if ('Fn::GetAtt' in v) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    const found = r.resources[id]?.attributes[attribute];
    if (found === undefined) throw new Error(`no local stand-in for Fn::GetAtt ${id}.${attribute}`);
    return found;
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, r)).join(sep);
  }
  if ('Fn::Select' in v) {
    const [index, list] = v['Fn::Select'] as [number, unknown];
    return resolveList(list, r)[Number(index)]!;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

function resolveList(value: unknown, r: Resolver): string[] {
  if (Array.isArray(value)) return value.map((x) => resolve(x, r));
  const v = value as Record<string, any>;
  if ('Fn::Split' in v) {
    const [sep, source] = v['Fn::Split'] as [string, unknown];
    return resolve(source, r).split(sep);
  }
  throw new Error(`cannot resolve list ${JSON.stringify(value)}`);
}

/** A function's `Environment.Variables`, every intrinsic resolved. */
export function functionEnvironment(template: CfnTemplate, functionLogicalId: string, r: Resolver): Record<string, string> {
  const variables = (template.Resources[functionLogicalId]?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v, r)]));
}

/** One Allow statement of a role, its resources resolved to ARNs. */
export interface Grant {
  actions: string[];
  resources: string[];
}

/** Every Allow statement of every AWS::IAM::Policy attached to the function's role (CDK puts grants in the role's DefaultPolicy). */
export function grantsOf(template: CfnTemplate, functionLogicalId: string, r: Resolver): Grant[] {
  const role = template.Resources[functionLogicalId]?.Properties.Role?.['Fn::GetAtt']?.[0] as string | undefined;
  if (!role) throw new Error(`${functionLogicalId} has no role of its own`);
  const managed = template.Resources[role]?.Properties.ManagedPolicyArns as unknown[] | undefined;
  if (managed?.length) throw new Error(`${role} has managed policies: read them too`);
  const grants: Grant[] = [];
  for (const res of Object.values(template.Resources)) {
    if (res.Type !== 'AWS::IAM::Policy' && res.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (res.Properties.Roles ?? []) as { Ref?: string }[];
    if (!roles.some((x) => x.Ref === role)) continue;
    for (const s of res.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[]) {
      if (s.Effect !== 'Allow') throw new Error(`a ${s.Effect} statement on ${role}: the check below reads Allow only`);
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      grants.push({ actions: Array.isArray(s.Action) ? s.Action : [s.Action], resources: resources.map((x) => resolve(x, r)) });
    }
  }
  return grants;
}

/** IAM's glob: `*` any run of characters, `?` one; actions compare case-insensitively. */
export function iamMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

/** True when some statement allows `action` on `resourceArn`. */
export function allows(grants: readonly Grant[], action: string, resourceArn: string): boolean {
  return grants.some((g) => g.actions.some((a) => iamMatch(a, action, true)) && g.resources.some((p) => iamMatch(p, resourceArn)));
}

/** The statements' action patterns (as written, CDK's wildcards included) that match none of `used`: granted, never needed. */
export function unusedPatterns(grants: readonly Grant[], used: readonly string[]): string[] {
  const patterns = new Set(grants.flatMap((g) => g.actions));
  return [...patterns].filter((p) => !used.some((a) => iamMatch(p, a, true))).sort();
}

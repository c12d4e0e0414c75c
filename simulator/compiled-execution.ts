/**
 * Compiled execution for the simulated subgraph: graphql-jit (through
 * @envelop/graphql-jit) runs the operation, graphql-js still coerces the
 * variables, so answers and error messages stay exactly graphql-js's.
 *
 * graphql-jit cannot coerce our variables itself: it compiles input coercion
 * inline and never finishes on a recursive input type (graphql-jit#81;
 * `OrderFilledEvent_filter` holds lists of itself in `and`/`or`), and its
 * messages differ from graphql-js's. So the JIT compiles a copy of each
 * document whose variables are all declared as a pass-through scalar, in a
 * private copy of the schema that adds only that scalar, and is handed the
 * values graphql-js coerced. Whatever the JIT would answer differently from
 * graphql-js (coercion errors, absent variables, unknown operations) or
 * cannot compile goes to the regular executor instead.
 */
import { createRequire } from 'node:module';
import { useGraphQlJit } from '@envelop/graphql-jit';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

// The schema's types come from the graphql instance yoga and graphql-jit load
// (Node resolves 'graphql' to its CommonJS build). A bundler such as vitest's
// may hand this module graphql's ESM build instead, a second instance whose
// functions refuse the schema's types; so load the one Node resolves.
const {
  getOperationAST,
  getVariableValues,
  GraphQLScalarType,
  GraphQLSchema: Schema,
  Kind,
} = createRequire(import.meta.url)('graphql') as typeof import('graphql');

type Execute = (args: ExecutionArgs) => unknown;

const COERCED = '_CoercedByGraphqlJs';

const coercedScalar = new GraphQLScalarType({
  name: COERCED,
  parseValue: (v) => v,
  serialize: (v) => v,
});

function jitSchemaFor(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  return new Schema({ ...config, types: [...config.types, coercedScalar], assumeValid: true });
}

/** The document with every variable declared as the pass-through scalar (directives and defaults dropped: graphql-js applied them). */
function jitDocumentFor(document: DocumentNode): DocumentNode {
  return {
    ...document,
    definitions: document.definitions.map((d) =>
      d.kind !== Kind.OPERATION_DEFINITION
        ? d
        : {
            ...d,
            variableDefinitions: (d.variableDefinitions ?? []).map((v) => ({
              kind: Kind.VARIABLE_DEFINITION,
              variable: v.variable,
              type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: COERCED } },
            })),
          },
    ),
  };
}

export function useCompiledExecution(): Plugin {
  let compileFailed = false;
  const jit = useGraphQlJit({}, { onError: () => void (compileFailed = true) });
  const jitSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();
  const jitDocuments = new WeakMap<DocumentNode, DocumentNode>();
  const uncompilable = new WeakSet<DocumentNode>();
  const cached = <K extends object, V>(map: WeakMap<K, V>, key: K, make: (k: K) => V): V => {
    let v = map.get(key);
    if (v === undefined) map.set(key, (v = make(key)));
    return v;
  };

  return {
    onExecute(payload) {
      const regular = payload.executeFn as Execute;
      let compiled: Execute | undefined;
      void jit.onExecute?.({ ...payload, setExecuteFn: (fn) => void (compiled = fn as Execute) });
      if (!compiled) return;
      const jitExecute = compiled;
      payload.setExecuteFn(((args: ExecutionArgs) => {
        const op = getOperationAST(args.document, args.operationName);
        if (!op || op.operation !== 'query' || uncompilable.has(args.document)) return regular(args);
        const defs = op.variableDefinitions ?? [];
        const vars = getVariableValues(args.schema, defs, args.variableValues ?? {});
        // graphql-js leaves out an input field whose variable is absent; graphql-jit would set it to null
        if (vars.errors || defs.some((d) => !(d.variable.name.value in vars.coerced))) return regular(args);
        compileFailed = false; // the JIT compiles (and reports failures) synchronously, on a document's first run
        const result = jitExecute({
          ...args,
          schema: cached(jitSchemas, args.schema, jitSchemaFor),
          document: cached(jitDocuments, args.document, jitDocumentFor),
          variableValues: vars.coerced,
        });
        if (!compileFailed) return result;
        uncompilable.add(args.document);
        return regular(args);
      }) as (args: ExecutionArgs) => ExecutionResult);
    },
  };
}

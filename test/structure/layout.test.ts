import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/paths.ts';

/** The project's own source files (what a reviewer reads), by path from the repository root. */
const CODE_FOLDERS = ['adapters', 'bench', 'bin', 'functions', 'infra', 'local', 'shared', 'simulator', 'test'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js|mjs)$/.test(name) ? [relative(REPO_ROOT, path)] : [];
  });
}
const files = CODE_FOLDERS.flatMap((folder) => sources(join(REPO_ROOT, folder)));
const text = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

describe('the layout shows the design', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(files).toContain('functions/loader.ts');
  });

  it('writes process.env nowhere: settings reach handlers as arguments', () => {
    // Assignment, compound assignment, Object.assign and delete; reading is fine.
    const write = /process\.env(\.[A-Za-z_]\w*|\[[^\]]+\])?\s*(=(?!=)|\?\?=|\|\|=)|Object\.assign\(\s*process\.env|delete\s+process\.env/;
    const offenders = files.filter((f) => f !== 'test/structure/layout.test.ts' && write.test(text(f)));
    expect(offenders).toEqual([]);
    // The pattern itself must catch what it is for.
    for (const sample of ["process.env.X = 'y'", 'process.env.X ??= y', 'Object.assign(process.env, env)', "process.env['A'] = b", 'delete process.env.A']) {
      expect(write.test(sample), sample).toBe(true);
    }
    expect(write.test('const a = process.env.X === y')).toBe(false);
  });

  it('has no hooks that make singletons forget', () => {
    const hooks = /\b(resetRuntime|useWarehouse|forgetSchemaCheck)\b/;
    expect(files.filter((f) => f !== 'test/structure/layout.test.ts' && hooks.test(text(f)))).toEqual([]);
  });

  it('imports across folders through the package.json imports map, never through ../ chains', () => {
    const parentImport = /(from|import\()\s*['"]\.\.\//;
    expect(files.filter((f) => parentImport.test(text(f)))).toEqual([]);
  });

  it('keeps every source file under 400 lines', () => {
    const long = files.map((f) => ({ f, lines: text(f).split('\n').length })).filter((x) => x.lines > 400);
    expect(long).toEqual([]);
  });

  it('keeps the domain off AWS and the wiring: shared/ imports no AWS SDK, adapter of AWS, handler, runner or simulator', () => {
    const forbidden = /from\s+['"](@aws-sdk\/|#adapters\/aws\/|#functions\/|#local\/|#simulator\/|#bench\/|#test\/|#infra\/)/;
    expect(files.filter((f) => f.startsWith('shared/') && forbidden.test(text(f)))).toEqual([]);
  });

  it("names every code folder in the README's layout section", () => {
    const readme = text('README.md');
    const section = readme.slice(readme.indexOf('## Project layout'));
    for (const folder of [...CODE_FOLDERS, 'docs']) expect(section, folder).toContain(`\`${folder}/\``);
  });
});

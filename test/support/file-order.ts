import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * `TEST_FILE_ORDER=forward|reverse` runs the test files in path order or in
 * reverse path order instead of vitest's default (slowest first). A test that
 * leans on state another file left behind fails in one of the two.
 */
export class PathOrderSequencer extends BaseSequencer {
  constructor(
    ctx: ConstructorParameters<typeof BaseSequencer>[0],
    private readonly direction: 'forward' | 'reverse',
  ) {
    super(ctx);
  }

  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
    return this.direction === 'reverse' ? sorted.reverse() : sorted;
  }
}

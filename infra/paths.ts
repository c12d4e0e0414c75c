import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory holding package.json and package-lock.json). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

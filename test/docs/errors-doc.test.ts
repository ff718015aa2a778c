import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { ErrorCode } from '../../src/index.js';

// dist/test/docs/ -> repository root
const doc = readFileSync(new URL('../../../docs/ERRORS.md', import.meta.url), 'utf8');

it('every error code is listed in docs/ERRORS.md', () => {
  const missing = Object.values(ErrorCode).filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

// Runs Vigil's tests from the compiled output in dist/, one file at a time.
// Integration and end-to-end tests get a fresh, migrated database on the server
// named by TEST_DATABASE_URL, or on an embedded PostgreSQL started for the run.
// The last line printed is `N passed, N failed`.
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const KINDS = { unit: /\.spec\.js$/, int: /\.int-spec\.js$/, e2e: /\.e2e-spec\.js$/ };
// An optional second argument keeps only the files whose path contains it.
const [kind, only] = process.argv.slice(2);
const wanted = kind && kind !== 'all' ? [kind] : Object.keys(KINDS);
if (!wanted.every((k) => k in KINDS)) {
  console.error(`usage: run-tests.js [${Object.keys(KINDS).join('|')}|all] [path filter]`);
  process.exit(2);
}

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
const all = walk('dist').filter((f) => f.endsWith('.js'));
const files = wanted
  .flatMap((k) => all.filter((f) => KINDS[k].test(f)))
  .filter((f) => !only || f.includes(only))
  .sort();
const needsDatabase = files.some((f) => !KINDS.unit.test(f));

let scratch;
if (needsDatabase) {
  const { createScratchDatabase } = await import('../dist/apps/vigil/src/database/scratch-database.js');
  scratch = await createScratchDatabase('vigil_test', process.env.TEST_DATABASE_URL);
  process.env.TEST_DATABASE_URL = scratch.url;
  if (scratch.embedded) console.log('# tests use an embedded PostgreSQL');
}

let passed = 0;
let failed = 0;
const stream = run({ files, concurrency: 1, timeout: 10 * 60_000 });
stream.on('test:pass', (e) => {
  if (e.details?.type !== 'suite') passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type !== 'suite') failed++;
});
stream.compose(spec).pipe(process.stdout);
await new Promise((resolve) => stream.on('end', resolve));
if (files.length === 0) failed++;

if (scratch) await scratch.drop();

console.log(`\n${files.length} test files: ${files.map((f) => relative('dist', f)).join(', ')}`);
if (process.env.VIGIL_TEST_SUMMARY) writeFileSync(process.env.VIGIL_TEST_SUMMARY, `${passed} ${failed}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

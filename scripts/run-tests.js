// Runs Vigil's tests from the compiled output in dist/, one file at a time.
// Integration and end-to-end tests get a fresh, migrated database on the server
// named by TEST_DATABASE_URL, or on an embedded PostgreSQL started for the run.
// The last line printed is `N passed, N failed`.
import { readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import pg from 'pg';

const KINDS = { unit: /\.spec\.js$/, int: /\.int-spec\.js$/, e2e: /\.e2e-spec\.js$/ };
const wanted = process.argv[2] ? [process.argv[2]] : Object.keys(KINDS);
if (!wanted.every((k) => k in KINDS)) {
  console.error(`usage: run-tests.js [${Object.keys(KINDS).join('|')}]`);
  process.exit(2);
}

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
const all = walk('dist').filter((f) => f.endsWith('.js'));
const files = wanted.flatMap((k) => all.filter((f) => KINDS[k].test(f))).sort();
const needsDatabase = files.some((f) => !KINDS.unit.test(f));

let embedded;
let adminUrl = process.env.TEST_DATABASE_URL;
let scratch;
if (needsDatabase && !adminUrl) {
  const { startEmbeddedPostgres } = await import('../dist/apps/vigil/src/database/embedded-postgres.js');
  scratch = mkdtempSync(join(tmpdir(), 'vigil-test-pg-'));
  embedded = await startEmbeddedPostgres({
    dataDir: scratch,
    port: 'free',
    database: 'postgres',
  });
  adminUrl = embedded.url;
  console.log('# tests use an embedded PostgreSQL');
}

let testDb;
if (needsDatabase) {
  testDb = `vigil_test_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${testDb}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${testDb}`;
  process.env.TEST_DATABASE_URL = url.toString();
  const { createDataSource, migrate } = await import('../dist/apps/vigil/src/database/data-source.js');
  const ds = createDataSource(process.env.TEST_DATABASE_URL, 2);
  await ds.initialize();
  await migrate(ds);
  await ds.destroy();
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

if (testDb) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${testDb} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
}
if (embedded) await embedded.stop();
if (scratch) rmSync(scratch, { recursive: true, force: true });

console.log(`\n${files.length} test files: ${files.map((f) => relative('dist', f)).join(', ')}`);
if (process.env.VIGIL_TEST_SUMMARY) writeFileSync(process.env.VIGIL_TEST_SUMMARY, `${passed} ${failed}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

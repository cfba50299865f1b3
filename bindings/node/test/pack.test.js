'use strict';
// `npm pack` gives a package a user can install: the tarball, installed into a fresh
// project (no registry access needed: the package has no dependencies), works from
// CommonJS and ESM and carries its type declarations.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('npm pack -> npm install from a temp project -> require and import work', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fqb-pack-'));
  try {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], ROOT));
    const files = packed[0].files.map((f) => f.path).sort();
    for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'rollout.js', 'prometheus.js', 'package.json']) {
      assert.ok(files.includes(f), `${f} missing from the package: ${files}`);
    }
    assert.ok(files.some((f) => /^fraiseql-qb\..+\.node$/.test(f)), 'the native addon is in the package');
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('src/')), `${files}`);
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    npm(['install', '--no-audit', '--no-fund', '--offline', path.join(tmp, packed[0].filename)], app);
    const schema = JSON.stringify({ views: { v_user: { columns: { id: 'uuid' }, fields: { age: 'integer' } } } });
    const query = JSON.stringify({ view: 'v_user', select: ['id'], where: { age: { gte: 18 } } });
    const cjs = execFileSync(
      process.execPath,
      ['-e', `const q = require('fraiseql-qb'); console.log(JSON.stringify(q.compile(${query}, new q.Schema(${schema}))))`],
      { cwd: app, encoding: 'utf8', env: { ...process.env, FRAISEQL_QB_NATIVE_PATH: '' } },
    );
    assert.deepEqual(JSON.parse(cjs), {
      text: `SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE ((t."data"->>'age')::numeric >= $1::bigint)`,
      values: ['18'],
    });
    const esm = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { compile, Schema } from 'fraiseql-qb'; console.log(compile(${query}, new Schema(${schema})).values[0])`],
      { cwd: app, encoding: 'utf8', env: { ...process.env, FRAISEQL_QB_NATIVE_PATH: '' } },
    );
    assert.equal(esm.trim(), '18');
    assert.ok(fs.existsSync(path.join(app, 'node_modules', 'fraiseql-qb', 'index.d.ts')));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

'use strict';
// index.d.ts is current: its generated block equals what the native module reports (the
// core's operators, scalar types and error kinds), its exports are exactly the package's,
// and a TypeScript user's code (test/types/usage.ts) type-checks under `strict`.
//
// Why hand-written (with a generated block) rather than napi-rs' type generation: the public
// surface is JavaScript (the error classes, Schema, the rollout shim); the native module's
// own functions are internal. What does come from the core is generated and checked here.
// `BLESS=1 node --test test/types.test.js` rewrites the generated block.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { native } = require('../loader');

const ROOT = path.join(__dirname, '..');
const DTS = path.join(ROOT, 'index.d.ts');
const BEGIN = '// <generated from the native module by test/types.test.js: do not edit>\n';
const END = '// </generated>\n';

function generated() {
  const meta = native.meta();
  const union = (items) => items.map((x) => `  | '${x}'`).join('\n');
  return (
    BEGIN +
    '/** Every filter operator name (docs/query-ast.md, "Operators"). */\n' +
    `export type OperatorName =\n${union(meta.operators)};\n\n` +
    '/** Every registry scalar type name (docs/query-ast.md, "The schema registry"). */\n' +
    `export type ScalarTypeName =\n${union(meta.scalarTypes)};\n\n` +
    '/** Every error code, with its stable number (docs/errors.md). */\n' +
    'export interface ErrorNumbers {\n' +
    meta.errorKinds.map(([code, n]) => `  ${code}: ${n};\n`).join('') +
    '}\n' +
    END
  );
}

test('the generated block of index.d.ts is current', () => {
  const text = fs.readFileSync(DTS, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, 'index.d.ts lost its generated markers');
  const current = text.slice(start, end + END.length);
  const fresh = generated();
  if (process.env.BLESS === '1' && current !== fresh) {
    fs.writeFileSync(DTS, text.slice(0, start) + fresh + text.slice(end + END.length));
    return;
  }
  assert.equal(current, fresh, 'index.d.ts is stale: run BLESS=1 node --test test/types.test.js');
});

function program(files) {
  return ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    skipLibCheck: false,
  });
}

function valueExports(p, file) {
  const checker = p.getTypeChecker();
  const sym = checker.getSymbolAtLocation(p.getSourceFile(file));
  return checker
    .getExportsOfModule(sym)
    .filter((s) => s.flags & ts.SymbolFlags.Value)
    .map((s) => s.name)
    .sort();
}

test('index.d.ts and prometheus.d.ts declare exactly the runtime exports', () => {
  const pdts = path.join(ROOT, 'prometheus.d.ts');
  const p = program([DTS, pdts]);
  assert.deepEqual(valueExports(p, DTS), Object.keys(require('..')).sort());
  assert.deepEqual(valueExports(p, pdts), Object.keys(require('../prometheus')).sort());
  // And the ESM entry re-exports the same names.
  const mjs = fs.readFileSync(path.join(ROOT, 'index.mjs'), 'utf8');
  const names = [...mjs.matchAll(/^ {2}(\w+),$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(names, Object.keys(require('..')).sort());
});

test("a TypeScript user's code type-checks (strict), and wrong uses do not", () => {
  const usage = path.join(__dirname, 'types', 'usage.ts');
  const p = program([usage]);
  const diags = ts.getPreEmitDiagnostics(p).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  assert.deepEqual(diags, []);
});

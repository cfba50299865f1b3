'use strict';
// Wall-clock benchmark of the Node binding and its peers on the shared workloads, methods
// interleaved round by round (drift on a noisy machine hits them alike). A sample is the
// mean of a batch of ~2 ms; medians and p99 are over the samples. With --core-bin (the
// qb-bench-ns binary of crates/qb-bench) the core's own time is measured in the same run.
//
//   node bindings/node/bench/bench.js [--samples 150] [--core-bin PATH] [--workloads S,M,C,W]
const { execFileSync } = require('node:child_process');
const { methods } = require('./methods');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const SAMPLES = Number(opt('--samples', '150'));
const WORKLOADS = opt('--workloads', 'S,M,C,W').split(',');
const CORE_BIN = opt('--core-bin', null);
const METHODS = ['schema', 'shim', 'json_text', 'registry', 'knex', 'kysely'];

function stats(v) {
  const s = [...v].sort((a, b) => a - b);
  const at = (q) => s[Math.round((s.length - 1) * q)];
  return { median: at(0.5), p99: at(0.99) };
}

function core() {
  if (!CORE_BIN) return {};
  const out = execFileSync(CORE_BIN, ['--workloads', WORKLOADS.join(','), '--samples', '200'], { encoding: 'utf8' });
  const res = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const r = JSON.parse(line);
    if (r.method === 'qb_core') res[r.workload] = { median: r.median / 1000, p99: r.p99 / 1000 };
  }
  return res;
}

const coreBefore = core();
const results = {};
for (const w of WORKLOADS) {
  const m = methods(w);
  const batch = {};
  for (const name of METHODS) {
    // Calibrate a batch of ~2 ms (and warm up the JIT).
    const f = m[name];
    let n = 1;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < n; i++) f();
      if (performance.now() - t > 2) break;
      n *= 2;
    }
    batch[name] = n;
  }
  const samples = Object.fromEntries(METHODS.map((k) => [k, []]));
  for (let s = 0; s < SAMPLES; s++) {
    for (const name of METHODS) {
      const f = m[name];
      const n = batch[name];
      const t = performance.now();
      for (let i = 0; i < n; i++) f();
      samples[name].push(((performance.now() - t) * 1000) / n);
    }
  }
  results[w] = Object.fromEntries(METHODS.map((k) => [k, stats(samples[k])]));
}
const coreAfter = core();

const fmt = (x) => (x === undefined ? '-' : `${x.median.toFixed(2)} / ${x.p99.toFixed(2)}`);
console.log(`Node ${process.version}; µs per call, median / p99 over ${SAMPLES} samples`);
console.log(`| W | core | ${METHODS.join(' | ')} |`);
console.log(`|---|${'---|'.repeat(METHODS.length + 1)}`);
for (const w of WORKLOADS) {
  const c = coreBefore[w] && coreAfter[w] ? { median: (coreBefore[w].median + coreAfter[w].median) / 2, p99: Math.max(coreBefore[w].p99, coreAfter[w].p99) } : undefined;
  results[w].core = c;
  console.log(`| ${w} | ${fmt(c)} | ${METHODS.map((k) => fmt(results[w][k])).join(' | ')} |`);
}
console.log('\n| W | node / core | shim - node (µs) | knex / node | kysely / node |');
console.log('|---|---|---|---|---|');
for (const w of WORKLOADS) {
  const r = results[w];
  const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(1)}x` : '-');
  console.log(
    `| ${w} | ${ratio(r.schema, r.core)} | ${(r.shim.median - r.schema.median).toFixed(2)} | ${ratio(r.knex, r.schema)} | ${ratio(r.kysely, r.schema)} |`,
  );
}

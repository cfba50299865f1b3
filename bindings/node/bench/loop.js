'use strict';
// A fixed amount of work for instruction counting: `node bench/loop.js W METHOD N` warms up
// (FQB_BENCH_WARMUP calls, default 20,000), then runs METHOD N more times on workload W.
// bench/callgrind.sh runs it under callgrind with N and with 0 and subtracts, so start-up
// and warm-up cancel. The warm-up must outlast V8's tier-up: with 2,000 calls, TurboFan was
// still compiling during the measured calls (15-30k Ir per call of `v8::internal::compiler`
// on M, and Knex's figure moved from 178k to 276k between two runs of the same code).
const { methods } = require('./methods');

const [w = 'M', method = 'schema', n = '1000'] = process.argv.slice(2);
const f = methods(w)[method];
if (!f) throw new Error(`unknown method ${method}`);
let sink = 0;
const warmup = Number(process.env.FQB_BENCH_WARMUP || 20000);
// One loop for warm-up and measured calls: a second loop would be compiled (on-stack
// replacement) in the measured run only.
const total = warmup + Number(n);
for (let i = 0; i < total; i++) sink += f().text.length;
if (sink < 0) console.log(sink);

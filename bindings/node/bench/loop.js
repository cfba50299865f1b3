'use strict';
// A fixed amount of work for instruction counting: `node bench/loop.js W METHOD N` warms up
// (2,000 calls), then runs METHOD N more times on workload W. bench/callgrind.sh runs it
// under callgrind with N and with 0 and subtracts, so start-up, warm-up and JIT cancel.
const { methods } = require('./methods');

const [w = 'M', method = 'schema', n = '1000'] = process.argv.slice(2);
const f = methods(w)[method];
if (!f) throw new Error(`unknown method ${method}`);
let sink = 0;
for (let i = 0; i < 2000; i++) sink += f().text.length;
for (let i = 0; i < Number(n); i++) sink += f().text.length;
if (sink < 0) console.log(sink);

'use strict';
// prom-client integration (prom-client is an optional peer dependency).
//
//   const { registerCollector } = require('fraiseql-qb/prometheus');
//   registerCollector();                          // process-wide metrics, default registry
//   registerCollector({ registry, shim });        // one shim's metrics, your registry
//
// Registers the families of docs/rollout.md section 5 (the six seed metrics, the shadow
// counter and the trip-back pair): names, help texts and samples come from the Rust engine
// (qb-rollout's FAMILIES and family_value), read on every scrape. A failure while collecting
// yields no samples: a scrape never breaks.
const { native } = require('./loader');

function promClient() {
  try {
    return require('prom-client');
  } catch (err) {
    const e = new Error('fraiseql-qb/prometheus needs prom-client: npm install prom-client');
    e.cause = err;
    throw e;
  }
}

/**
 * Registers the query builder metrics on `registry` (default: prom-client's global
 * `register`), for one `shim` or (default) the whole process. Returns `{ names, unregister }`.
 */
function registerCollector({ registry, shim } = {}) {
  const client = promClient();
  const reg = registry || client.register;
  const engine = shim ? shim._engine : null;
  const openMetrics = reg.contentType === client.Registry.OPENMETRICS_CONTENT_TYPE;
  const families = native.rolloutMetrics(engine, 'families');
  const names = [];
  families.forEach((family, index) => {
    // OpenMetrics registries append `_total` to counter samples themselves.
    const name = openMetrics && family.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
    const metric = {
      name,
      help: family.help,
      type: family.type,
      aggregator: family.type === 'gauge' ? 'max' : 'sum',
      get() {
        let values = [];
        try {
          values = native.rolloutMetrics(engine, 'families')[index].values;
          if (openMetrics && family.type === 'counter') values = values.map((v) => ({ ...v, metricName: name }));
        } catch {
          values = [];
        }
        return { name, help: family.help, type: family.type, values, aggregator: metric.aggregator };
      },
    };
    reg.registerMetric(metric);
    names.push(name);
  });
  return {
    names,
    unregister() {
      for (const n of names) reg.removeSingleMetric(n);
    },
  };
}

module.exports = { registerCollector };

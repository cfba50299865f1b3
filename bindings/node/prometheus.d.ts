// Type declarations of `fraiseql-qb/prometheus` (prom-client integration).
import type { RolloutQueryBuilder } from './index';

export interface RegisteredCollector {
  /** The metric names registered. */
  readonly names: string[];
  /** Removes them from the registry. */
  unregister(): void;
}

/**
 * Registers the query builder metrics (docs/rollout.md section 5) on `registry` (default:
 * prom-client's global `register`), for one `shim` or (default) the whole process.
 */
export function registerCollector(options?: {
  registry?: import('prom-client').Registry;
  shim?: RolloutQueryBuilder<any>;
}): RegisteredCollector;

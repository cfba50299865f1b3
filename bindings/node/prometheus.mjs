import prometheus from './prometheus.js';

export const { registerCollector } = prometheus;
export default prometheus;

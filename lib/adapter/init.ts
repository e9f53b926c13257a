// Once per container, before the first request or schedule: the logger level and the metrics
// settings from the configuration (a bad configuration is answered elsewhere; here: defaults).
import { getConfig } from '../config.js';
import { getLogger } from '../observability/logger.js';
import { configureMetrics } from '../observability/metrics.js';

let observabilityReady = false;

export function initObservability(): void {
  if (observabilityReady) return;
  observabilityReady = true;
  try {
    const config = getConfig();
    getLogger({ serviceName: config.serviceName, logLevel: config.logLevel }).setLogLevel(config.logLevel);
    configureMetrics({ enabled: config.onLambda, namespace: config.metricsNamespace, serviceName: config.serviceName });
  } catch {
    getLogger();
  }
}

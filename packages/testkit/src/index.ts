export { type AlertmanagerOptions, type AlertmanagerServer, startAlertmanager } from './alertmanager.js';
export { freePort, freePorts } from './free-port.js';
export { type NginxOptions, type NginxServer, startNginx } from './nginx.js';
export {
  type PrometheusOptions,
  type PrometheusSample,
  type PrometheusServer,
  startPrometheus,
} from './prometheus.js';
export { type RedisOptions, type RedisServer, startRedis } from './redis.js';
export { httpAnswers, makeServiceDir, processGroupMembers, type Service, startService } from './service.js';
export { type PythonToolName, pythonTool, type SystemToolName, systemTool, toolsDir } from './tools.js';
export { startWebhookReceiver, type WebhookReceiver } from './webhook.js';

export { type AlertmanagerOptions, type AlertmanagerServer, startAlertmanager } from './alertmanager.js';
export { freePort, freePorts } from './free-port.js';
export { type KserveOptions, type KserveServer, startKserve } from './kserve.js';
export { type NginxOptions, type NginxServer, startNginx } from './nginx.js';
export {
  type PrometheusOptions,
  type PrometheusSample,
  type PrometheusServer,
  startPrometheus,
} from './prometheus.js';
export { type RedisOptions, type RedisServer, startRedis } from './redis.js';
export { type S3Options, type S3Server, startS3 } from './s3.js';
export { httpAnswers, makeServiceDir, processGroupMembers, type Service, startService } from './service.js';
export { inUnitTier, requireService } from './tier.js';
export {
  baseImage,
  type PythonToolName,
  podmanEnv,
  pythonTool,
  type SystemToolName,
  systemTool,
  toolsDir,
} from './tools.js';
export { startWebhookReceiver, type WebhookReceiver } from './webhook.js';

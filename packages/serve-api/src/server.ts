import { randomUUID } from 'node:crypto';
import { UsageError } from '@plantid/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { plantid } from './plugin.js';
import type { ServeSettings } from './settings.js';

export interface RunningServer {
  /** http://host:port */
  url: string;
  app: FastifyInstance;
  /** Stops taking requests, finishes the ones in flight, frees the model. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Fastify/pino logger options; default JSON lines on stdout at info level. `false` = silent. */
  logger?: FastifyServerOptions['logger'];
}

/** pino's default time is epoch ms; ISO is what people grep for. */
const isoTime = () => `,"time":"${new Date().toISOString()}"`;

export const DEFAULT_LOGGER = { level: 'info', timestamp: isoTime };

/** The Fastify options of the plantid server: request ids, JSON logs, proxy trust, graceful close. */
export function serverOptions(settings: ServeSettings, logger: StartOptions['logger']): FastifyServerOptions {
  return {
    logger: logger === false ? false : { ...DEFAULT_LOGGER, ...(typeof logger === 'object' ? logger : {}) },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Our own lines instead: one per prediction, one per refused request, errors.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    trustProxy: settings.trustProxy,
    return503OnClosing: true,
  };
}

/**
 * The server both CLIs run: a Fastify app with the plantid plugin and nothing else. Start-up
 * order: listen (so /healthz answers 200 and /readyz 503 while loading), then resolve, verify,
 * load and warm up the bundle, then report ready. A model that fails to load stops the server
 * and rethrows (a BundleError names the bad file).
 */
export async function startServer(
  settings: ServeSettings,
  options: StartOptions = {},
): Promise<RunningServer> {
  const ref = settings.bundle;
  if (!ref) {
    throw new UsageError('no model to serve', {
      where: '--bundle',
      hint: 'pass --bundle <bundle folder | name@alias>, set PLANTID_BUNDLE, or serve.bundle in config.yaml',
    });
  }
  const app = Fastify(serverOptions(settings, options.logger));
  await app.register(plantid, settings);
  let address: string;
  try {
    address = await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await app.close();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      throw new UsageError(`cannot listen on ${settings.host}:${settings.port} (${e.code})`, {
        where: 'serve.port',
        hint: 'pick another port with --port or PLANTID_PORT',
      });
    }
    throw error;
  }
  try {
    await app.plantid.initialLoad;
  } catch (error) {
    await app.close();
    throw error;
  }
  app.log.info(
    { event: 'listening', url: address, docs: `${address}/docs` },
    `plantid API ready on ${address}`,
  );
  return { url: address, app, close: () => app.close() };
}

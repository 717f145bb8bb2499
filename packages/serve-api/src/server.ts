import { UsageError } from '@plantid/core';
import { type BuildApiOptions, buildApi, type PlantidApi } from './app.js';
import type { ServeSettings } from './settings.js';

export interface RunningServer {
  /** http://host:port */
  url: string;
  api: PlantidApi;
  /** Stops taking requests, finishes the ones in flight, frees the model. */
  close(): Promise<void>;
}

export type StartOptions = Omit<BuildApiOptions, 'settings'>;

/**
 * Start-up order: listen (so /healthz and /readyz can answer 503 while loading), then resolve,
 * verify, load and warm up the bundle, then report ready. A model that fails to load stops the
 * server and rethrows (a BundleError names the bad file).
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
  const api = await buildApi({ ...options, settings });
  const { app } = api;
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
    await api.load(ref);
  } catch (error) {
    await app.close();
    throw error;
  }
  app.log.info(
    { event: 'listening', url: address, docs: `${address}/docs` },
    `plantid API ready on ${address}`,
  );

  return { url: address, api, close: () => app.close() };
}

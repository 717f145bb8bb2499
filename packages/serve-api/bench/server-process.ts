// The API server for the benchmark, in its own process so autocannon does not share its event loop.
import { resolveServeSettings, startServer } from '../src/index.js';

const bundle = process.argv[2];
if (!bundle || !process.send)
  throw new Error('usage: fork(server-process.ts, [bundleDir]) with an IPC channel');
const settings = {
  ...resolveServeSettings({ env: process.env, flags: { bundle, port: 0 } }),
  rateLimit: { max: 0, windowMs: 60_000 },
};
const server = await startServer(settings);
process.send({ url: server.url });
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await server.close();
  process.exit(0);
});

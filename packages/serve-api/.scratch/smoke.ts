import { readFile } from 'node:fs/promises';
import { resolveServeSettings, startServer } from '../src/index.js';
import { testBundle } from '../test/fixtures/bundle.js';
const b = await testBundle();
const settings = resolveServeSettings({ env: {}, flags: { bundle: b.dir, port: 0 } });
const server = await startServer(settings, { logger: { level: 'info' } });
let ok = 0, n = 0;
for (const [c, list] of b.heldOut.entries()) for (const f of list.slice(0, 10)) {
  const fd = new FormData(); fd.append('image', new Blob([await readFile(f)]), 'x.webp');
  const r = await fetch(`${server.url}/v1/predict`, { method: 'POST', body: fd });
  const j = await r.json() as any; n++; if (j.predictions[0].label === (await (await fetch(`${server.url}/v1/models`)).json() as any).models[0].labels[c].id) ok++;
  if (n === 1) console.log(JSON.stringify(j));
}
console.log('acc', ok, n);
const o = await (await fetch(`${server.url}/openapi.json`)).json() as any; console.log(Object.keys(o.paths), JSON.stringify(o.paths['/v1/predict'].post.requestBody).slice(0, 300));
console.log((await (await fetch(`${server.url}/metrics`)).text()).split('\n').filter(l => l.startsWith('plantid_batch') || l.startsWith('plantid_model') || l.startsWith('plantid_predictions')).join('\n'));
await server.close();

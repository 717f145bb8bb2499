import Fastify from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
const app = Fastify();
await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
await app.register(multipart, { limits: { fileSize: 100 } });
app.post('/p', { schema: { body: { content: {
  'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary' } } } },
  'application/json': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', contentEncoding: 'base64' } } } },
} } } }, async (req) => {
  if (req.isMultipart()) { const f = await req.file(); const b = await f.toBuffer(); return { mp: true, len: b.length, fields: Object.keys(f.fields) }; }
  return { body: req.body };
});
await app.ready();
const fd = new FormData(); fd.append('image', new Blob([new Uint8Array(50)]), 'a.jpg');
await app.listen({ port: 0 });
const url = `http://127.0.0.1:${app.server.address().port}/p`;
let r = await fetch(url, { method: 'POST', body: fd }); console.log(r.status, await r.text());
const fd2 = new FormData(); fd2.append('image', new Blob([new Uint8Array(500)]), 'a.jpg');
r = await fetch(url, { method: 'POST', body: fd2 }); console.log(r.status, await r.text());
r = await fetch(url, { method: 'POST', body: JSON.stringify({ x: 1 }), headers: { 'content-type': 'application/json' } }); console.log(r.status, await r.text());
r = await fetch(url, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' } }); console.log(r.status, await r.text());
console.log(JSON.stringify(app.swagger().paths['/p'], null, 1).slice(0, 800));
await app.close();

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { typescriptToJavaScript } from '../strip-types.js';

/** packages/serve-api/web, found from src/ (tests, tsx) and from dist/ (built) alike. */
export const WEB_DIR = join(packageRoot(), 'web');

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The web page: static HTML/CSS from web/public, and web/app.ts served as JavaScript. The page
 * uses relative URLs, so under a prefix it lives at `<prefix>/` (`<prefix>` redirects there).
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  const script = typescriptToJavaScript(await readFile(join(WEB_DIR, 'app.ts'), 'utf8'));
  await app.register(fastifyStatic, {
    root: join(WEB_DIR, 'public'),
    prefix: '/',
    index: false,
    wildcard: false,
    maxAge: '5m',
  });
  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, async (_request, reply) =>
    reply.sendFile('index.html'),
  );
  if (app.prefix) {
    app.get('', { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${app.prefix}/`));
  }
  app.get('/app.js', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300');
    return script;
  });
}

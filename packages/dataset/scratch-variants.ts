import { readFileSync } from 'node:fs';
import { phashFromGrey } from './src/image/phash.js';
import { formatHash64, hamming, type Hash64 } from './src/image/hamming.js';
import { resizeArea } from './src/image/resample.js';
const rows = readFileSync('/tmp/look/thumbs.jsonl', 'utf8').split('\n').map((l) => JSON.parse(l));
const imgs = rows.map((r) => ({ label: r.label as string, name: (r.path as string).split('/').pop()!.replace('.webp', ''), w: r.w as number, h: r.h as number, g: Float32Array.from(Buffer.from(r.g, 'base64')) }));
function trim(g: Float32Array, w: number, h: number) {
  const ring: number[] = [];
  for (let x = 0; x < w; x++) ring.push(g[x]!, g[(h - 1) * w + x]!);
  for (let y = 0; y < h; y++) ring.push(g[y * w]!, g[y * w + w - 1]!);
  ring.sort((a, b) => a - b);
  const bg = ring[ring.length >> 1]!;
  const diff = (x: number, y: number) => Math.abs(g[y * w + x]! - bg) > 12;
  let x0 = 0, x1 = w - 1, y0 = 0, y1 = h - 1;
  const colHas = (x: number) => { let c = 0; for (let y = y0; y <= y1; y++) if (diff(x, y)) c++; return c > 1; };
  const rowHas = (y: number) => { let c = 0; for (let x = x0; x <= x1; x++) if (diff(x, y)) c++; return c > 1; };
  while (y0 < y1 && !rowHas(y0)) y0++;
  while (y1 > y0 && !rowHas(y1)) y1--;
  while (x0 < x1 && !colHas(x0)) x0++;
  while (x1 > x0 && !colHas(x1)) x1--;
  const cw = x1 - x0 + 1, ch = y1 - y0 + 1;
  const out = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) out[y * cw + x] = g[(y + y0) * w + x + x0]!;
  return { g: out, w: cw, h: ch };
}
function dhash(g: Float32Array, w: number, h: number): Hash64 {
  const s = resizeArea(g, w, h, 9, 8);
  let hi = 0, lo = 0;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) { const i = y * 8 + x; if (s[y * 9 + x + 1]! > s[y * 9 + x]!) { if (i < 32) hi |= 1 << (31 - i); else lo |= 1 << (63 - i); } }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}
function highpass(g: Float32Array, w: number, h: number) {
  // subtract a 32x32-resolution version (upsampled nearest) to remove the blob
  const s = resizeArea(g, w, h, 8, 8);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = g[y * w + x]! - s[Math.min(7, Math.floor((y * 8) / h)) * 8 + Math.min(7, Math.floor((x * 8) / w))]!;
  return out;
}
const variants: Record<string, (i: (typeof imgs)[0]) => string> = {
  phash: (i) => formatHash64(phashFromGrey(i.g, i.w, i.h)),
  phashTrim: (i) => { const t = trim(i.g, i.w, i.h); return formatHash64(phashFromGrey(t.g, t.w, t.h)); },
  dhash: (i) => formatHash64(dhash(i.g, i.w, i.h)),
  dhashTrim: (i) => { const t = trim(i.g, i.w, i.h); return formatHash64(dhash(t.g, t.w, t.h)); },
};
const known = [['Class38_3', 'Class38_109'], ['Class38_4', 'Class38_110'], ['Class1_21', 'Class1_1'], ['Class35_124', 'Class35_77']];
for (const [name, fn] of Object.entries(variants)) {
  const hs = imgs.map(fn);
  const same = new Array(65).fill(0), cross = new Array(65).fill(0);
  for (let a = 0; a < hs.length; a++) for (let b = a + 1; b < hs.length; b++) { const d = hamming(hs[a]!, hs[b]!); (imgs[a]!.label === imgs[b]!.label ? same : cross)[d]++; }
  const cum = (h: number[], r: number) => h.slice(0, r + 1).reduce((x, y) => x + y, 0);
  const idx = (n: string) => imgs.findIndex((i) => i.name === n);
  console.log(name.padEnd(10), 'known', known.map(([a, b]) => hamming(hs[idx(a!)]!, hs[idx(b!)]!)).join(','), ' same<=r', [2, 4, 6, 8, 10].map((r) => cum(same, r)).join(' '), ' cross<=r', [2, 4, 6, 8, 10].map((r) => cum(cross, r)).join(' '));
}

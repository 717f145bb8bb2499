import { readFileSync } from 'node:fs';
import { phashFromGrey } from './src/image/phash.js';
import { formatHash64, hamming } from './src/image/hamming.js';
import { resizeArea } from './src/image/resample.js';
const rows = readFileSync('/tmp/look/thumbs.jsonl', 'utf8').split('\n').map((l) => JSON.parse(l));
const imgs = rows.map((r) => { const g = Float32Array.from(Buffer.from(r.g, 'base64')); return { label: r.label as string, name: (r.path as string).split('/').pop()!.replace('.webp', ''), w: r.w as number, h: r.h as number, g }; });
function norm(v: Float32Array) { let m = 0; for (const x of v) m += x; m /= v.length; let s = 0; const o = new Float32Array(v.length); for (let i = 0; i < v.length; i++) { o[i] = v[i]! - m; s += o[i]! ** 2; } s = Math.sqrt(s) || 1; for (let i = 0; i < v.length; i++) o[i]! /= s; return o; }
function hp(g: Float32Array, w: number, h: number, S: number, B: number) {
  const s = resizeArea(g, w, h, S, S); const b = resizeArea(s, S, S, B, B); const o = new Float32Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) o[y * S + x] = s[y * S + x]! - b[Math.floor((y * B) / S) * B + Math.floor((x * B) / S)]!;
  return norm(o);
}
const ph = imgs.map((i) => formatHash64(phashFromGrey(i.g, i.w, i.h)));
const feats: Record<string, Float32Array[]> = {
  hp32_8: imgs.map((i) => hp(i.g, i.w, i.h, 32, 8)),
  hp32_16: imgs.map((i) => hp(i.g, i.w, i.h, 32, 16)),
  hp64_16: imgs.map((i) => hp(i.g, i.w, i.h, 64, 16)),
};
const dot = (a: Float32Array, b: Float32Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const idx = (n: string) => imgs.findIndex((i) => i.name === n);
const k35 = [idx('Class35_124'), idx('Class35_77')] as const;
const R = 12;
const cand: [number, number][] = [];
for (let a = 0; a < imgs.length; a++) for (let b = a + 1; b < imgs.length; b++) if (hamming(ph[a]!, ph[b]!) <= R) cand.push([a, b]);
console.log('candidates', cand.length);
for (const [name, f] of Object.entries(feats)) {
  const k = dot(f[k35[0]]!, f[k35[1]]!);
  const sims = cand.map(([a, b]) => ({ s: dot(f[a]!, f[b]!), same: imgs[a]!.label === imgs[b]!.label, a, b }));
  const crossMax = Math.max(...sims.filter((x) => !x.same).map((x) => x.s));
  const line = [0.5, 0.6, 0.7, 0.8, 0.9].map((t) => `${t}:${sims.filter((x) => x.same && x.s >= t).length}/${sims.filter((x) => !x.same && x.s >= t).length}`).join(' ');
  console.log(name, 'known35', k.toFixed(3), 'crossMax', crossMax.toFixed(3), 'same/cross', line);
  const top = sims.filter((x) => x.same && x.s >= k - 0.05).sort((x, y) => x.s - y.s).slice(0, 8).map((x) => `${imgs[x.a]!.name}~${imgs[x.b]!.name}:${hamming(ph[x.a]!, ph[x.b]!)}/${x.s.toFixed(2)}`);
  console.log('  weakest same passes near known', top.join(' '));
}

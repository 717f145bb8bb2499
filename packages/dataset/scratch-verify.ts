import { readFileSync } from 'node:fs';
import { phashFromGrey } from './src/image/phash.js';
import { formatHash64, hamming, type Hash64 } from './src/image/hamming.js';
import { resizeArea } from './src/image/resample.js';
const rows = readFileSync('/tmp/look/thumbs.jsonl', 'utf8').split('\n').map((l) => JSON.parse(l));
const imgs = rows.map((r) => { const g = Float32Array.from(Buffer.from(r.g, 'base64')); return { label: r.label as string, name: (r.path as string).split('/').pop()!.replace('.webp', ''), w: r.w as number, h: r.h as number, g }; });
function norm(v: Float32Array) { let m = 0; for (const x of v) m += x; m /= v.length; let s = 0; const o = new Float32Array(v.length); for (let i = 0; i < v.length; i++) { o[i] = v[i]! - m; s += o[i]! ** 2; } s = Math.sqrt(s) || 1; for (let i = 0; i < v.length; i++) o[i]! /= s; return o; }
function dhash(g: Float32Array, w: number, h: number): string {
  const s = resizeArea(g, w, h, 9, 8); let hi = 0, lo = 0;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) { const i = y * 8 + x; if (s[y * 9 + x + 1]! > s[y * 9 + x]!) { if (i < 32) hi |= 1 << (31 - i); else lo |= 1 << (63 - i); } }
  return formatHash64({ hi: hi >>> 0, lo: lo >>> 0 });
}
const ph = imgs.map((i) => formatHash64(phashFromGrey(i.g, i.w, i.h)));
const dh = imgs.map((i) => dhash(i.g, i.w, i.h));
const t16 = imgs.map((i) => norm(resizeArea(i.g, i.w, i.h, 16, 16)));
const t32 = imgs.map((i) => norm(resizeArea(i.g, i.w, i.h, 32, 32)));
const dot = (a: Float32Array, b: Float32Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const idx = (n: string) => imgs.findIndex((i) => i.name === n);
const known = [['Class38_3', 'Class38_109'], ['Class1_21', 'Class1_1'], ['Class35_124', 'Class35_77']];
for (const [a, b] of known) { const x = idx(a!), y = idx(b!); console.log(a, b, 'ph', hamming(ph[x]!, ph[y]!), 'dh', hamming(dh[x]!, dh[y]!), 'ncc16', dot(t16[x]!, t16[y]!).toFixed(3), 'ncc32', dot(t32[x]!, t32[y]!).toFixed(3)); }
const R = 10;
const cand: { same: boolean; d: number; dd: number; n16: number; n32: number; a: string; b: string }[] = [];
for (let a = 0; a < imgs.length; a++) for (let b = a + 1; b < imgs.length; b++) { const d = hamming(ph[a]!, ph[b]!); if (d <= R) cand.push({ same: imgs[a]!.label === imgs[b]!.label, d, dd: hamming(dh[a]!, dh[b]!), n16: dot(t16[a]!, t16[b]!), n32: dot(t32[a]!, t32[b]!), a: imgs[a]!.name, b: imgs[b]!.name }); }
for (const th of [0.8, 0.85, 0.9, 0.93, 0.95, 0.97]) {
  const pass = cand.filter((c) => c.n32 >= th);
  console.log('ncc32>=', th, 'same', pass.filter((c) => c.same).length, 'cross', pass.filter((c) => !c.same).length, 'cross ex', pass.filter((c) => !c.same).slice(0, 3).map((c) => `${c.a}~${c.b}:${c.d}/${c.n32.toFixed(2)}`).join(' '));
}
for (const th of [0.8, 0.85, 0.9, 0.95]) { const pass = cand.filter((c) => c.n16 >= th); console.log('ncc16>=', th, 'same', pass.filter((c) => c.same).length, 'cross', pass.filter((c) => !c.same).length); }
for (const th of [2, 4, 6, 8]) { const pass = cand.filter((c) => c.dd <= th); console.log('dh<=', th, 'same', pass.filter((c) => c.same).length, 'cross', pass.filter((c) => !c.same).length); }
const s = cand.filter((c) => c.same && c.n32 >= 0.9).sort((x, y) => x.n32 - y.n32).slice(0, 15).map((c) => `${c.a}~${c.b}:${c.d}/${c.n32.toFixed(3)}`);
console.log('weakest same-label passes at .9:', s.join(' '));

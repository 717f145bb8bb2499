import { readFileSync } from 'node:fs';
import { phashFromGrey } from './src/image/phash.js';
import { formatHash64, hamming } from './src/image/hamming.js';
import { resizeArea } from './src/image/resample.js';
const rows = readFileSync('/tmp/look/thumbs.jsonl', 'utf8').split('\n').map((l) => JSON.parse(l));
const imgs = rows.map((r) => { const g = Float32Array.from(Buffer.from(r.g, 'base64')); const name = (r.path as string).split('/').pop()!.replace('.webp', ''); return { label: r.label as string, name, k: Number((name.match(/_(\d+)$/) ?? name.match(/(\d+)$/))![1]), w: r.w as number, h: r.h as number, g }; });
function norm(v: Float32Array) { let m = 0; for (const x of v) m += x; m /= v.length; let s = 0; const o = new Float32Array(v.length); for (let i = 0; i < v.length; i++) { o[i] = v[i]! - m; s += o[i]! ** 2; } s = Math.sqrt(s) || 1; for (let i = 0; i < v.length; i++) o[i]! /= s; return o; }
function hp(g: Float32Array, w: number, h: number, S: number, B: number, mirror = false) {
  const s = resizeArea(g, w, h, S, S); const b = resizeArea(s, S, S, B, B); const o = new Float32Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) o[y * S + (mirror ? S - 1 - x : x)] = s[y * S + x]! - b[Math.floor((y * B) / S) * B + Math.floor((x * B) / S)]!;
  return norm(o);
}
const ph = imgs.map((i) => formatHash64(phashFromGrey(i.g, i.w, i.h)));
const f = imgs.map((i) => hp(i.g, i.w, i.h, 32, 16));
const fm = imgs.map((i) => hp(i.g, i.w, i.h, 32, 16, true));
const lo = imgs.map((i) => norm(resizeArea(i.g, i.w, i.h, 16, 16)));
const mir = (v: Float32Array, S: number) => { const o = new Float32Array(v.length); for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) o[y * S + S - 1 - x] = v[y * S + x]!; return o; };
const lom = lo.map((v) => mir(v, 16));
const dot = (a: Float32Array, b: Float32Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
for (const R of [6, 8, 10]) for (const T of [0.85, 0.9]) {
  const parent = imgs.map((_, i) => i); const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  let same = 0, cross = 0;
  for (let a = 0; a < imgs.length; a++) for (let b = a + 1; b < imgs.length; b++) if (hamming(ph[a]!, ph[b]!) <= R && dot(f[a]!, f[b]!) >= T) { if (imgs[a]!.label === imgs[b]!.label) same++; else cross++; parent[find(a)] = find(b); }
  const sizes = new Map<number, number>(); imgs.forEach((_, i) => sizes.set(find(i), (sizes.get(find(i)) ?? 0) + 1));
  const big = [...sizes.values()].filter((s) => s > 1).sort((x, y) => y - x);
  console.log(`R=${R} T=${T} pairs same=${same} cross=${cross} groups=${big.length} largest=${big.slice(0, 5).join(',')} inGroups=${big.reduce((x, y) => x + y, 0)}`);
}
// front/back: consecutive index pairs within class vs random pairs within class
const byClass = new Map<string, number[]>(); imgs.forEach((im, i) => { const l = byClass.get(im.label) ?? []; l.push(i); byClass.set(im.label, l); });
const stats = (pairs: [number, number][]) => { const v = (fn: (a: number, b: number) => number) => { const xs = pairs.map(([a, b]) => fn(a, b)).sort((x, y) => x - y); return `med=${xs[xs.length >> 1]!.toFixed(3)} p90=${xs[Math.floor(xs.length * 0.9)]!.toFixed(3)}`; }; return `ph ${v((a, b) => hamming(ph[a]!, ph[b]!))} | detail ${v((a, b) => dot(f[a]!, f[b]!))} | detailMirror ${v((a, b) => dot(f[a]!, fm[b]!))} | shape ${v((a, b) => dot(lo[a]!, lo[b]!))} | shapeMirror ${v((a, b) => dot(lo[a]!, lom[b]!))}`; };
const consec: [number, number][] = [], rnd: [number, number][] = [], odd: [number, number][] = [];
let seed = 1; const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
for (const ids of byClass.values()) { const s = [...ids].sort((a, b) => imgs[a]!.k - imgs[b]!.k); for (let i = 0; i + 1 < s.length; i++) { consec.push([s[i]!, s[i + 1]!]); if (i % 2 === 0) odd.push([s[i]!, s[i + 1]!]); rnd.push([s[i]!, s[Math.floor(rand() * s.length)]!]); } }
console.log('consecutive', stats(consec)); console.log('pairs(2j,2j+1)', stats(odd)); console.log('random same-class', stats(rnd));

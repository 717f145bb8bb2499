import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzePixels } from './src/image/analyze.js';
import { hamming } from './src/image/hamming.js';

const root = '/work/shared/datasets/ph-medicinal-leaf40';
const files: { path: string; label: string; k: number }[] = [];
for (const d of (await readdir(root)).sort()) {
  for (const f of await readdir(join(root, d))) files.push({ path: join(root, d, f), label: d, k: Number((f.match(/_(\d+)\./) ?? f.match(/(\d+)\./))![1]) });
}
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (i < items.length) await fn(items[i++]!); }));
}
let t = performance.now();
await pool(files, 4, async (f) => { await sharp(await readFile(f.path)).raw().toBuffer(); });
console.log('plain decode', ((performance.now() - t) / 1000).toFixed(2), 's');
t = performance.now();
const facts: any[] = [];
await pool(files, 4, async (f) => { facts.push({ ...f, ...(await analyzePixels(await readFile(f.path))) }); });
console.log('analyze', ((performance.now() - t) / 1000).toFixed(2), 's');
const blur = facts.map((f) => Math.log(f.blur)).sort((a, b) => a - b);
const q = (p: number) => Math.exp(blur[Math.floor(p * (blur.length - 1))]!);
console.log('blur quantiles', [0, 0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.99, 1].map((p) => q(p).toFixed(1)).join(' '));
console.log('std min', Math.min(...facts.map((f) => f.greyStd)).toFixed(1));
// brute-force pair distances
const hist = new Array(65).fill(0);
const crossHist = new Array(65).fill(0);
const byKey = new Map(facts.map((f) => [`${f.label}#${f.k}`, f]));
for (let i = 0; i < facts.length; i++) for (let j = i + 1; j < facts.length; j++) {
  const d = hamming(facts[i].phash, facts[j].phash);
  if (facts[i].label === facts[j].label) hist[d]++; else crossHist[d]++;
}
console.log('same-label hist 0..14', hist.slice(0, 15).join(' '));
console.log('cross-label hist 0..14', crossHist.slice(0, 15).join(' '));
const consec = new Array(65).fill(0);
for (const f of facts) { const g = byKey.get(`${f.label}#${f.k + 1}`); if (g) consec[hamming(f.phash, g.phash)]++; }
console.log('consecutive hist 0..30', consec.slice(0, 31).join(' '));
const probe = (a: string, b: string) => { const x = facts.find((f) => f.path.endsWith('/' + a + '.webp'))!; const y = facts.find((f) => f.path.endsWith('/' + b + '.webp'))!; console.log(a, b, hamming(x.phash, y.phash)); };
probe('Class38_3', 'Class38_109'); probe('Class38_4', 'Class38_110'); probe('Class1_21', 'Class1_1'); probe('Class35_124', 'Class35_77');
await (await import('node:fs/promises')).writeFile('/tmp/look/facts.json', JSON.stringify(facts));

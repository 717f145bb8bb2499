import { selectTfjsBackend } from '@plantid/core';

const tf = await selectTfjsBackend('forward', {
  env: { ...process.env, PLANTID_BACKEND: process.env.B ?? 'wasm' },
});
const a = tf.randomNormal([256, 1280]);
const w = tf.randomNormal([1280, 40]);
const g = tf.randomNormal([256, 40]);
const m = async (label: string, f: () => tf.Tensor) => {
  f().dataSync();
  const c = process.cpuUsage();
  for (let i = 0; i < 50; i++) {
    const t = f();
    t.dataSync();
    t.dispose();
  }
  const cu = process.cpuUsage(c);
  console.log(label, ((cu.user + cu.system) / 1000 / 50).toFixed(2), 'ms cpu per op');
};
await m('x·W', () => tf.matMul(a, w));
await m('xᵀ·g (dW)', () => tf.matMul(a, g, true, false));
await m('g·Wᵀ (dX)', () => tf.matMul(g, w, false, true));
await m('logsoftmax', () => tf.logSoftmax(g));

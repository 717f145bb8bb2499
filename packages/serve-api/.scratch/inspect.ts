import { loadLayersModel } from '@plantid/engine';
const m = await loadLayersModel('../shared/models/mobilenet_v2_0.35_224_tm/model.json');
for (const l of m.layers) console.log(l.name, l.getClassName(), JSON.stringify(l.outputShape));
const inner = m.layers[0] as any;
console.log(inner.layers?.length, inner.layers?.at(-1).name, inner.outputs?.map((o: any) => o.shape));
const head = m.layers[1] as any; console.log(head.layers?.map((l: any) => l.name + ':' + l.getClassName()));

import * as tf from '@tensorflow/tfjs';
import { loadLayersModel } from '../../engine/src/io/layers-model-io.ts';

const m = await loadLayersModel('../shared/models/mobilenet_v2_0.35_224_tm/model.json');
const walk = (l: any, d = 0): void => {
  if (l instanceof tf.LayersModel) {
    console.log(
      ' '.repeat(d) + l.getClassName(),
      l.name,
      l.layers.length,
      JSON.stringify(l.inputs.map((i) => i.shape)),
    );
    if (d < 2) for (const s of l.layers.slice(0, 3)) walk(s, d + 2);
  } else console.log(' '.repeat(d) + l.getClassName(), l.name, JSON.stringify(l.outputShape));
};
walk(m);
const inner = (m.layers[0] as tf.LayersModel).layers[0] as tf.LayersModel;
console.log(
  inner.layers
    .slice(-25)
    .map(
      (l) =>
        `${l.name}:${l.getClassName()}:${JSON.stringify(l.outputShape)}:${l.inboundNodes.length}:${l.trainable}`,
    )
    .join('\n'),
);
console.log(inner.layers.length, inner.inputs[0].shape);

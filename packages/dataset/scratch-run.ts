import { stageContext } from './test/helpers.js';
import { datasetStage } from './src/index.js';
const { ctx, lines } = await stageContext({ root: '../shared/datasets/ph-medicinal-leaf40' }, { configDir: '/work/main' });
const t = performance.now();
const summary = await datasetStage.run(ctx);
console.log(summary, ((performance.now() - t) / 1000).toFixed(1), 's', ctx.outDir, process.memoryUsage().rss / 1e6);
console.log(lines.map((l) => JSON.parse(l).msg).join('\n'));

import { testBundle } from '../test/fixtures/bundle.js';
console.time('bundle'); const b = await testBundle(); console.timeEnd('bundle'); console.log(b.dir, b.classes);

export { type AnalyseOptions, type Analysis, analyseAll, analyseOne } from './analyse.js';
export { balancedClassWeights, type ClassBalance, imbalanceRatio } from './balance.js';
export { type BuildOptions, type LeakageReport, type PreparedDataset, prepareDataset } from './build.js';
export { type DedupItem, type DuplicateFindings, findDuplicates, type Pair } from './duplicates.js';
export { HashIndex, indexHexHashes } from './hashIndex.js';
export { phash64 } from './image/analyze.js';
export { DETAIL_LENGTH, detailCorrelation } from './image/detail.js';
export { hamming } from './image/hamming.js';
export { recordFile } from './ingest/sources.js';
export {
  findTrainTestLeaks,
  type LeakCheckRecord,
  type LeakPair,
  packSignatures,
  readSignatures,
  SIGNATURES_FILE,
} from './leakage.js';
export { blurThreshold, QUALITY_FLAGS, type QualityFlag } from './quality.js';
export {
  type FeedbackOrigin,
  type LabelEntry,
  type ManifestRecord,
  readLabels,
  readManifest,
  SPLITS,
  type Split,
} from './records.js';
export { slugIds, slugify } from './slug.js';
export { assignSplits, crossSplitPairs } from './split.js';
export { datasetStage } from './stage.js';

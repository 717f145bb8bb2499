import { join } from 'node:path';
import {
  type DatasetOutput,
  errorLine,
  hashJson,
  type Logger,
  type PreprocessSpec,
  type StageContext,
  type StageSummary,
  TRAIN_MODEL_DIR,
  TRAIN_MODEL_ONNX,
  TRAIN_RECORD_FILE,
  type TrainRecordInput,
  writeFileAtomic,
  writeJsonAtomic,
  writeLabels,
  writePreprocessSpec,
  writeTrainRecord,
} from '@plantid/core';
import { saveLayersModel } from '@plantid/engine';
import { layersModelToOnnx, servedOutputs } from '@plantid/onnx-convert';
import {
  type AugmentSpec,
  augmentFromConfig,
  isCleanView,
  specFromConfig,
  specViews,
  type TtaView,
  viewName,
} from '@plantid/preprocess';
import * as tf from '@tensorflow/tfjs';
import {
  type BackboneSplit,
  buildFeatureExtractor,
  type FeatureExtractor,
  splitForFinetune,
} from './backbone/cut.js';
import { type BackboneSource, loadBackboneModel, resolveBackbone } from './backbone/source.js';
import { nativeBackendAvailable, useTrainingBackend } from './backend.js';
import { cleanViews, finetunedFeatures, writeBank } from './bank.js';
import { checkSplitSizes, type TrainingData, type TrainingRecord, trainingData } from './dataset-input.js';
import { VectorCache } from './embed/cache.js';
import { type EmbedReport, embedViews, gatherViews, type ViewId } from './embed/compute.js';
import { createBackboneEngine } from './embed/embedder.js';
import { cacheFolder, poolingKey, viewKey } from './embed/keys.js';
import { finetuneModel, headModel } from './finetune.js';
import { Head } from './head.js';
import { evaluateSamples, type PhaseOptions, type PhaseResult, type Samples, trainPhase } from './loop.js';
import { artefactName } from './naming.js';
import { checkBackboneInput } from './validate.js';

export interface TrainHooks {
  /** Called after every epoch checkpoint (the kill test uses it). */
  onCheckpoint?: (phase: string, epoch: number) => void;
}

/** What the train stage reads: the dataset stage's output, parsed against its contract. */
export interface TrainInputs {
  dataset: DatasetOutput;
}

type TrainContext = StageContext<TrainInputs>;

/** The backbone, cut and pooled, and what phase 2 will fine-tune of it (if it runs). */
interface PreparedBackbone {
  source: BackboneSource;
  extractor: FeatureExtractor;
  split: BackboneSplit | undefined;
  /** Fine-tuning was asked for (epochs and blocks > 0), whether or not it runs. */
  wantFinetune: boolean;
}

/** Cached embeddings (and boundary activations) as training samples. */
interface Embedded {
  report: EmbedReport;
  /** Test-time views each training photo was embedded in besides the clean one. */
  ttaViews: number;
  train: TrainingRecord[];
  val: TrainingRecord[];
  features: { train: Samples; val: Samples };
  activations?: { train: Samples; val: Samples };
}

/** The train stage's work: embeddings → head → optional fine-tune → full model and its records in ctx.outDir. */
export async function trainModel(ctx: TrainContext, hooks: TrainHooks = {}): Promise<StageSummary> {
  const started = performance.now();
  const spec = specFromConfig(ctx.config.preprocess);
  const data = trainingData(ctx.inputs.dataset);
  checkSplitSizes(data);
  ctx.log.info(
    `dataset: ${data.train.length} train, ${data.val.length} val images, ${data.labels.length} classes`,
  );
  const backbone = await prepareBackbone(ctx, spec);
  const embedded = await embedAll(ctx, data, backbone, spec);
  const head = new Head(backbone.extractor.dim, {
    dropout: ctx.config.model.head.dropout,
    hidden: ctx.config.model.head.hidden,
    classes: data.labels.length,
    seed: ctx.config.seed,
  });
  const phase1 = await trainHead(ctx, head, data, embedded, hooks);
  const phase2 = await fineTune(ctx, head, data, backbone.split, embedded, phase1, hooks);
  const model = assembleModel(ctx, backbone.extractor, head, spec);
  try {
    return await writeTrainOutputs(ctx, {
      started,
      spec,
      data,
      backbone,
      embedded,
      head,
      phase1,
      phase2,
      model,
    });
  } finally {
    model.dispose();
  }
}

/** Resolve (download once), load and cut the backbone; everything is checked before long work. */
async function prepareBackbone(ctx: TrainContext, spec: PreprocessSpec): Promise<PreparedBackbone> {
  const { config, log } = ctx;
  const source = await resolveBackbone(config.model.weights, {
    configDir: ctx.configDir,
    cacheDir: ctx.cacheDir,
    sha256: config.model.sha256,
    log,
  });
  const extractor = buildFeatureExtractor(
    await loadBackboneModel(source, {
      size: spec.size,
      resizeInput: config.model.resizeInput,
      log,
    }),
    config.model.featureLayer,
    config.model.pooling,
  );
  checkBackboneInput(extractor.inputShape, spec.size, source.modelJson);
  const ft = config.train.finetune;
  const wantFinetune = ft.epochs > 0 && ft.blocks > 0;
  const runFinetune = wantFinetune && (nativeBackendAvailable() || !ft.requireNative);
  if (wantFinetune && !runFinetune)
    log.info(
      'fine-tuning skipped: no native tfjs backend (train.finetune.requireNative: true); phase 1 only',
    );
  const split = runFinetune ? splitForFinetune(extractor, ft.blocks) : undefined;
  log.info(
    `backbone ${config.model.backbone}: cut at ${extractor.featureLayer} → ${extractor.dim} features` +
      (split ? `; fine-tuning ${split.blocks.join(', ')} above ${split.boundaryLayer}` : ''),
    { backboneHash: source.hash.slice(0, 12) },
  );
  return { source, extractor, split, wantFinetune };
}

/** Every train image's clean view plus `augment.views` augmented ones (val: clean only), through the cache. */
async function embedAll(
  ctx: TrainContext,
  data: TrainingData,
  backbone: PreparedBackbone,
  spec: PreprocessSpec,
): Promise<Embedded> {
  const { config, log } = ctx;
  const { source, extractor, split } = backbone;
  const aug: AugmentSpec = augmentFromConfig(config.augment);
  const views = config.augment.views;
  const tta = trainingTtaViews(config.augment.tta, spec);
  if (tta.length)
    log.info(`training views: clean + ${views} augmented + test-time views ${tta.map(viewName).join(', ')}`);
  const seed = config.seed;
  const openCache = (layer: string, kind: 'pooled' | 'activations', dim: number) =>
    VectorCache.open(join(ctx.cacheDir, 'embeddings', cacheFolder(source.hash, layer, kind)), dim);
  const pooled = await openCache(
    poolingKey(extractor.featureLayer, extractor.pooling),
    'pooled',
    extractor.dim,
  );
  const targets = [{ cache: pooled, engine: () => createBackboneEngine(extractor.model, { log }) }];
  const activations = split
    ? await openCache(
        split.boundaryLayer,
        'activations',
        split.boundaryShape.reduce((a, b) => a * b, 1),
      )
    : undefined;
  if (split && activations)
    targets.push({
      cache: activations,
      engine: () => createBackboneEngine(extractor.model, { log, outputLayer: split.boundaryLayer }),
    });
  const report = await embedViews(
    [
      ...data.train.map((r) => ({ id: r.id, path: r.file, views, tta })),
      ...data.val.map((r) => ({ id: r.id, path: r.file, views: 0 })),
    ],
    { spec, aug, seed, targets, log, progress: ctx.progress, signal: ctx.signal },
  );
  const failed = new Set(report.failed.map((f) => f.id));
  const train = data.train.filter((r) => !failed.has(r.id));
  const val = data.val.filter((r) => !failed.has(r.id));
  const keyOf = (id: string, view: ViewId) => viewKey({ imageId: id, spec, aug, seed, view });
  const samplesOf = (
    cache: VectorCache,
    records: TrainingRecord[],
    v: number,
    shape: number[],
    extra: TtaView[] = [],
  ): Samples => {
    const g = gatherViews(
      records.map((r) => ({ id: r.id, views: v, tta: extra })),
      cache,
      keyOf,
    );
    return { x: g.data, shape, y: Int32Array.from(g.owner, (i) => records[i]!.labelIndex) };
  };
  const features = {
    train: samplesOf(pooled, train, views, [extractor.dim], tta),
    val: samplesOf(pooled, val, 0, [extractor.dim]),
  };
  await pooled.close();
  if (!split || !activations) return { report, ttaViews: tta.length, train, val, features };
  const acts = {
    train: samplesOf(activations, train, views, split.boundaryShape, tta),
    val: samplesOf(activations, val, 0, split.boundaryShape),
  };
  await activations.close();
  return { report, ttaViews: tta.length, train, val, features, activations: acts };
}

/** The spec's test-time views a training photo is embedded in too (the clean one is always there). */
function trainingTtaViews(enabled: boolean, spec: PreprocessSpec): TtaView[] {
  return enabled ? specViews(spec).filter((v) => !isCleanView(v)) : [];
}

/** Settings both phases share: callbacks' patience, smoothing, class weights, checkpoints. */
function phaseCommon(ctx: TrainContext, data: TrainingData) {
  const { config } = ctx;
  return {
    earlyStoppingPatience: config.train.earlyStopping.patience,
    plateau: config.train.reduceLrOnPlateau,
    labelSmoothing: config.train.labelSmoothing,
    classWeights:
      config.train.classWeights === 'balanced'
        ? Float32Array.from(data.labels, (l) => data.classWeights[l.id] ?? 1)
        : undefined,
    seed: config.seed,
    checkpointDir: join(ctx.workDir, 'checkpoints'),
    log: ctx.log,
    tracker: ctx.tracker,
    progress: ctx.progress,
    signal: ctx.signal,
  } satisfies Partial<PhaseOptions>;
}

/** Phase 1: the head on frozen, cached features. */
async function trainHead(
  ctx: TrainContext,
  head: Head,
  data: TrainingData,
  embedded: Embedded,
  hooks: TrainHooks,
): Promise<PhaseResult & { backend: string }> {
  const backend = await useTrainingBackend('dense', ctx.log);
  const hp = ctx.config.train.head;
  ctx.log.info(
    `phase 1 (head): ${embedded.features.train.y.length} samples (clean + ${ctx.config.augment.views} augmented${embedded.ttaViews ? ` + ${embedded.ttaViews} test-time` : ''} views per image), batch ${hp.batchSize}, lr ${hp.lr}, backend ${backend}`,
  );
  const result = await trainPhase(headModel(head), embedded.features.train, embedded.features.val, {
    ...phaseCommon(ctx, data),
    phase: 'head',
    epochs: hp.epochs,
    batchSize: hp.batchSize,
    lr: hp.lr,
    epochOffset: 0,
    onCheckpoint: (e) => hooks.onCheckpoint?.('head', e),
  });
  return { ...result, backend };
}

/** Phase 2: the top blocks on cached boundary activations, BatchNorm frozen; undefined when it does not run. */
async function fineTune(
  ctx: TrainContext,
  head: Head,
  data: TrainingData,
  split: BackboneSplit | undefined,
  embedded: Embedded,
  phase1: PhaseResult,
  hooks: TrainHooks,
): Promise<(PhaseResult & { backend: string; split: BackboneSplit }) | undefined> {
  if (!split || !embedded.activations) return undefined;
  const ft = ctx.config.train.finetune;
  const backend = await useTrainingBackend(split.denseOnly ? 'dense' : 'conv', ctx.log);
  ctx.log.info(
    `phase 2 (fine-tune ${split.blocks.join(', ')}): ${embedded.activations.train.y.length} samples, batch ${ft.batchSize}, lr ${ft.lr}, backend ${backend}`,
  );
  const result = await trainPhase(
    finetuneModel(split, head),
    embedded.activations.train,
    embedded.activations.val,
    {
      ...phaseCommon(ctx, data),
      phase: 'finetune',
      epochs: ft.epochs,
      batchSize: ft.batchSize,
      lr: ft.lr,
      epochOffset: phase1.epochsRun,
      onCheckpoint: (e) => hooks.onCheckpoint?.('finetune', e),
    },
  );
  return { ...result, backend, split };
}

/** The full model: image → backbone (cut + pooled) → head, softmax probabilities in labels.json order. */
function assembleModel(
  ctx: TrainContext,
  extractor: FeatureExtractor,
  head: Head,
  spec: PreprocessSpec,
): tf.LayersModel {
  const input = tf.input({ shape: [spec.size, spec.size, 3], name: 'image' });
  const features = extractor.model.apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: head.apply(features), name: ctx.config.model.name });
}

/** model/ (tfjs) + model.onnx, labels.json, preprocess.json, history.json and train.json; returns the summary. */
async function writeTrainOutputs(
  ctx: TrainContext,
  parts: {
    started: number;
    spec: PreprocessSpec;
    data: TrainingData;
    backbone: PreparedBackbone;
    embedded: Embedded;
    head: Head;
    phase1: PhaseResult & { backend: string };
    phase2: (PhaseResult & { backend: string; split: BackboneSplit }) | undefined;
    model: tf.LayersModel;
  },
): Promise<StageSummary> {
  const { config, log } = ctx;
  const { spec, data, backbone, embedded, head, phase1, phase2, model } = parts;
  const ft = config.train.finetune;
  const hp = config.train.head;
  const epochs = phase1.epochsRun + (phase2?.epochsRun ?? 0);
  const name = artefactName({
    model: config.model.name,
    backbone: config.model.backbone,
    batchSize: hp.batchSize,
    lr: hp.lr,
    epochs: phase1.bestEpoch,
    finetune: phase2 ? { blocks: ft.blocks, epochs: phase2.bestEpoch } : undefined,
  });
  const finalVal = phase2
    ? evaluateSamples(finetuneModel(phase2.split, head), embedded.activations!.val, 0)
    : evaluateSamples(headModel(head), embedded.features.val, 0);

  await saveLayersModel(model, join(ctx.outDir, TRAIN_MODEL_DIR));
  await writeOnnxModel(model, join(ctx.outDir, TRAIN_MODEL_ONNX), log);
  await writeBank(
    ctx.outDir,
    phase2
      ? finetunedFeatures(
          phase2.split,
          cleanViews(embedded.activations!.train, config.augment.views),
          backbone.extractor.dim,
        )
      : cleanViews(embedded.features.train, config.augment.views),
    phase2 ? 'train (clean views, fine-tuned backbone)' : 'train (clean views)',
  );
  await writeLabels(join(ctx.outDir, 'labels.json'), data.labels);
  await writePreprocessSpec(join(ctx.outDir, 'preprocess.json'), spec);
  await writeJsonAtomic(join(ctx.outDir, 'history.json'), [...phase1.history, ...(phase2?.history ?? [])]);
  const seconds = (performance.now() - parts.started) / 1000;
  const { source, extractor } = backbone;
  const record: TrainRecordInput = {
    name,
    created: new Date().toISOString(),
    seed: config.seed,
    hashes: {
      config: hashJson({
        seed: config.seed,
        preprocess: config.preprocess,
        augment: config.augment,
        model: config.model,
        train: config.train,
      }),
      dataset: data.hash,
      backbone: source.hash,
      preprocess: hashJson(spec),
    },
    backbone: {
      given: source.given,
      modelJson: source.modelJson,
      family: config.model.backbone,
      featureLayer: extractor.featureLayer,
      dim: extractor.dim,
      license: config.model.license ?? null,
      source: config.model.source ?? source.given,
    },
    images: { train: embedded.train.length, val: embedded.val.length, undecodable: embedded.report.failed },
    embeddings: {
      views: embedded.report.views,
      cached: embedded.report.cached,
      computed: embedded.report.computed,
      seconds: embedded.report.seconds,
      engine: embedded.report.engine ?? 'cache',
    },
    backend: { head: phase1.backend, finetune: phase2?.backend ?? null },
    phases: {
      head: summarisePhase(phase1),
      finetune: phase2
        ? {
            ...summarisePhase(phase2),
            blocks: phase2.split.blocks,
            boundaryLayer: phase2.split.boundaryLayer,
          }
        : {
            skipped: backbone.wantFinetune
              ? 'no native tfjs backend (train.finetune.requireNative)'
              : 'train.finetune.epochs or blocks is 0',
          },
    },
    val: { acc: finalVal.acc, loss: finalVal.loss },
    epochs,
    seconds,
  };
  await writeTrainRecord(join(ctx.outDir, TRAIN_RECORD_FILE), record);
  await ctx.tracker.setTags({ model_name: name, backbone_hash: source.hash, dataset_hash: data.hash });
  log.info(
    `model ${name}: val_acc ${finalVal.acc.toFixed(4)} after ${epochs} epochs, ${seconds.toFixed(0)} s`,
  );
  return {
    name,
    val_acc: Number(finalVal.acc.toFixed(4)),
    epochs,
    embeddings_computed: embedded.report.computed,
    seconds: Math.round(seconds),
  };
}

/**
 * The trained model as ONNX for evaluate's fast engine, with the open-set outputs (probabilities,
 * embedding, logits); a model the converter refuses is evaluated with tfjs.
 */
async function writeOnnxModel(model: tf.LayersModel, path: string, log: Logger): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = layersModelToOnnx(model, { name: model.name, ...servedOutputs(model) });
  } catch (error) {
    log.warn(
      `no model.onnx: the ONNX converter refused the model (${errorLine(error)}); evaluate will use tfjs`,
    );
    return;
  }
  await writeFileAtomic(path, bytes);
}

function summarisePhase(p: PhaseResult) {
  return {
    epochsRun: p.epochsRun,
    bestEpoch: p.bestEpoch,
    bestValLoss: p.bestValLoss,
    bestValAcc: p.bestValAcc,
    stoppedEarly: p.stoppedEarly,
    resumedAfter: p.resumedAfter ?? null,
    seconds: p.seconds,
  };
}

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hashJson, type StageContext, type StageSummary, UsageError, writeJsonAtomic } from '@plantid/core';
import { saveLayersModel } from '@plantid/engine';
import { augmentFromConfig, specFromConfig } from '@plantid/preprocess';
import * as tf from '@tensorflow/tfjs';
import { buildFeatureExtractor, splitForFinetune } from './backbone/cut.js';
import { loadBackboneModel, resolveBackbone } from './backbone/source.js';
import { nativeBackendAvailable, useTrainingBackend } from './backend.js';
import { checkSplitSizes, readDatasetInput } from './dataset-input.js';
import { VectorCache } from './embed/cache.js';
import { embedViews, gatherViews, type ImageItem } from './embed/compute.js';
import { createBackboneEngine } from './embed/embedder.js';
import { cacheFolder, poolingKey, viewKey } from './embed/keys.js';
import { finetuneModel, headModel } from './finetune.js';
import { Head } from './head.js';
import { evaluateSamples, type PhaseResult, type Samples, trainPhase } from './loop.js';
import { artefactName } from './naming.js';
import { checkBackboneInput } from './validate.js';

export interface TrainHooks {
  /** Called after every epoch checkpoint (the kill test uses it). */
  onCheckpoint?: (phase: string, epoch: number) => void;
}

/** The train stage's work: embeddings → head → optional fine-tune → full model and its records in ctx.outDir. */
export async function trainModel(ctx: StageContext, hooks: TrainHooks = {}): Promise<StageSummary> {
  const started = performance.now();
  const { config, log } = ctx;
  const spec = specFromConfig(config.preprocess);
  const aug = augmentFromConfig(config.augment);
  const views = config.augment.views;
  const seed = config.seed;

  const datasetDir = ctx.inputs.dataset;
  if (!datasetDir)
    throw new UsageError('the train stage needs the dataset stage output', {
      hint: 'run the dataset stage first',
    });
  const dataset = await readDatasetInput(datasetDir, config, ctx.configDir);
  checkSplitSizes(dataset);
  const trainRecords = dataset.records.filter((r) => r.split === 'train');
  const valRecords = dataset.records.filter((r) => r.split === 'val');
  log.info(
    `dataset: ${trainRecords.length} train, ${valRecords.length} val images, ${dataset.labels.length} classes`,
  );

  // Backbone: resolve (download once), load, cut; everything checked before long work.
  const source = await resolveBackbone(config.model.weights, {
    configDir: ctx.configDir,
    cacheDir: ctx.cacheDir,
    sha256: config.model.sha256,
    log,
  });
  const backbone = await loadBackboneModel(source);
  const extractor = buildFeatureExtractor(backbone, config.model.featureLayer, config.model.pooling);
  checkBackboneInput(extractor.inputShape, spec.size, source.modelJson);
  const ft = config.train.finetune;
  const native = nativeBackendAvailable();
  const wantFinetune = ft.epochs > 0 && ft.blocks > 0;
  const runFinetune = wantFinetune && (native || !ft.requireNative);
  if (wantFinetune && !runFinetune) {
    log.info(
      'fine-tuning skipped: no native tfjs backend (train.finetune.requireNative: true); phase 1 only',
    );
  }
  const split = runFinetune ? splitForFinetune(extractor, ft.blocks) : undefined;
  log.info(
    `backbone ${config.model.backbone}: cut at ${extractor.featureLayer} → ${extractor.dim} features` +
      (split ? `; fine-tuning ${split.blocks.join(', ')} above ${split.boundaryLayer}` : ''),
    { backboneHash: source.hash.slice(0, 12) },
  );

  // Embeddings (and boundary activations for fine-tuning), cached across epochs and runs.
  const pooled = await VectorCache.open(
    join(
      ctx.cacheDir,
      'embeddings',
      cacheFolder(source.hash, poolingKey(extractor.featureLayer, extractor.pooling), 'pooled'),
    ),
    extractor.dim,
  );
  const targets = [{ cache: pooled, engine: () => createBackboneEngine(extractor.model, { log }) }];
  let activations: VectorCache | undefined;
  if (split) {
    const dim = split.boundaryShape.reduce((a, b) => a * b, 1);
    activations = await VectorCache.open(
      join(ctx.cacheDir, 'embeddings', cacheFolder(source.hash, split.boundaryLayer, 'activations')),
      dim,
    );
    targets.push({
      cache: activations,
      engine: () => createBackboneEngine(extractor.model, { log, outputLayer: split.boundaryLayer }),
    });
  }
  const items: ImageItem[] = [
    ...trainRecords.map((r) => ({ id: r.id, path: r.absPath, views })),
    ...valRecords.map((r) => ({ id: r.id, path: r.absPath, views: 0 })),
  ];
  const embedReport = await embedViews(items, {
    spec,
    aug,
    seed,
    targets,
    log,
    progress: ctx.progress,
    signal: ctx.signal,
  });
  const failed = new Set(embedReport.failed.map((f) => f.id));
  const trainOk = trainRecords.filter((r) => !failed.has(r.id));
  const valOk = valRecords.filter((r) => !failed.has(r.id));
  const keyOf = (id: string, view: number) => viewKey({ imageId: id, spec, aug, seed, view });
  const samplesFrom = (
    cache: VectorCache,
    recs: typeof trainRecords,
    v: number,
    shape: number[],
  ): Samples => {
    const g = gatherViews(
      recs.map((r) => ({ id: r.id, views: v })),
      cache,
      keyOf,
    );
    return { x: g.data, shape, y: Int32Array.from(g.owner, (i) => recs[i]!.labelIndex) };
  };
  const trainFeatures = samplesFrom(pooled, trainOk, views, [extractor.dim]);
  const valFeatures = samplesFrom(pooled, valOk, 0, [extractor.dim]);
  await pooled.close();

  // Phase 1: head on frozen features.
  const backend = await useTrainingBackend('dense', log);
  const classes = dataset.labels.length;
  const weights =
    config.train.classWeights === 'balanced'
      ? Float32Array.from(dataset.labels, (l) => dataset.classWeights[l.id] ?? 1)
      : undefined;
  const head = new Head(extractor.dim, {
    dropout: config.model.head.dropout,
    hidden: config.model.head.hidden,
    classes,
    seed,
  });
  const common = {
    earlyStoppingPatience: config.train.earlyStopping.patience,
    plateau: config.train.reduceLrOnPlateau,
    labelSmoothing: config.train.labelSmoothing,
    classWeights: weights,
    seed,
    checkpointDir: join(ctx.workDir, 'checkpoints'),
    log,
    tracker: ctx.tracker,
    progress: ctx.progress,
    signal: ctx.signal,
  };
  const hp = config.train.head;
  log.info(
    `phase 1 (head): ${trainFeatures.y.length} samples (${views} augmented views + clean per image), batch ${hp.batchSize}, lr ${hp.lr}, backend ${backend}`,
  );
  const phase1 = await trainPhase(headModel(head), trainFeatures, valFeatures, {
    ...common,
    phase: 'head',
    epochs: hp.epochs,
    batchSize: hp.batchSize,
    lr: hp.lr,
    epochOffset: 0,
    onCheckpoint: (e) => hooks.onCheckpoint?.('head', e),
  });

  // Phase 2: fine-tune the top blocks on cached boundary activations, BatchNorm frozen.
  let phase2: PhaseResult | undefined;
  let finetuneBackend: string | undefined;
  if (split && activations) {
    const trainActs = samplesFrom(activations, trainOk, views, split.boundaryShape);
    const valActs = samplesFrom(activations, valOk, 0, split.boundaryShape);
    await activations.close();
    finetuneBackend = await useTrainingBackend(split.denseOnly ? 'dense' : 'conv', log);
    log.info(
      `phase 2 (fine-tune ${split.blocks.join(', ')}): ${trainActs.y.length} samples, batch ${ft.batchSize}, lr ${ft.lr}, backend ${finetuneBackend}`,
    );
    phase2 = await trainPhase(finetuneModel(split, head), trainActs, valActs, {
      ...common,
      phase: 'finetune',
      epochs: ft.epochs,
      batchSize: ft.batchSize,
      lr: ft.lr,
      epochOffset: phase1.epochsRun,
      onCheckpoint: (e) => hooks.onCheckpoint?.('finetune', e),
    });
  }

  // The full model: image → backbone (cut + pooled) → head, softmax probabilities in labels.json order.
  const input = tf.input({ shape: [spec.size, spec.size, 3], name: 'image' });
  const features = extractor.model.apply(input) as tf.SymbolicTensor;
  const full = tf.model({ inputs: input, outputs: head.apply(features), name: config.model.name });
  const epochsTotal = phase1.epochsRun + (phase2?.epochsRun ?? 0);
  const name = artefactName({
    model: config.model.name,
    backbone: config.model.backbone,
    batchSize: hp.batchSize,
    lr: hp.lr,
    epochs: phase1.bestEpoch,
    finetune: phase2 ? { blocks: ft.blocks, epochs: phase2.bestEpoch } : undefined,
  });
  const finalVal = evaluateSamples(
    phase2 && split ? finetuneModel(split, head) : headModel(head),
    phase2 ? samplesFrom(activations!, valOk, 0, split!.boundaryShape) : valFeatures,
    0,
  );

  await mkdir(ctx.outDir, { recursive: true });
  await saveLayersModel(full, join(ctx.outDir, 'model'));
  await writeJsonAtomic(join(ctx.outDir, 'labels.json'), dataset.labels);
  await writeJsonAtomic(join(ctx.outDir, 'preprocess.json'), spec);
  const history = [...phase1.history, ...(phase2?.history ?? [])];
  await writeJsonAtomic(join(ctx.outDir, 'history.json'), history);
  const seconds = (performance.now() - started) / 1000;
  const record = {
    name,
    created: new Date().toISOString(),
    seed,
    hashes: {
      config: hashJson({
        seed,
        preprocess: config.preprocess,
        augment: config.augment,
        model: config.model,
        train: config.train,
      }),
      dataset: dataset.hash,
      backbone: source.hash,
      preprocess: hashJson(spec),
    },
    backbone: {
      given: source.given,
      modelJson: source.modelJson,
      family: config.model.backbone,
      featureLayer: extractor.featureLayer,
      dim: extractor.dim,
    },
    images: { train: trainOk.length, val: valOk.length, undecodable: embedReport.failed },
    embeddings: {
      views: embedReport.views,
      cached: embedReport.cached,
      computed: embedReport.computed,
      seconds: embedReport.seconds,
      engine: embedReport.engine ?? 'cache',
    },
    backend: { head: backend, finetune: finetuneBackend ?? null },
    phases: {
      head: summarisePhase(phase1),
      finetune: phase2
        ? { ...summarisePhase(phase2), blocks: split!.blocks, boundaryLayer: split!.boundaryLayer }
        : {
            skipped: wantFinetune
              ? 'no native tfjs backend (train.finetune.requireNative)'
              : 'train.finetune.epochs or blocks is 0',
          },
    },
    val: { acc: finalVal.acc, loss: finalVal.loss },
    epochs: epochsTotal,
    seconds,
  };
  await writeJsonAtomic(join(ctx.outDir, 'train.json'), record);
  await ctx.tracker.setTags({ model_name: name, backbone_hash: source.hash, dataset_hash: dataset.hash });
  log.info(
    `model ${name}: val_acc ${finalVal.acc.toFixed(4)} after ${epochsTotal} epochs, ${seconds.toFixed(0)} s`,
  );
  full.dispose();
  return {
    name,
    val_acc: Number(finalVal.acc.toFixed(4)),
    epochs: epochsTotal,
    embeddings_computed: embedReport.computed,
    seconds: Math.round(seconds),
  };
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

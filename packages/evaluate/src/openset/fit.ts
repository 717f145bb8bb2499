import {
  float32Bytes,
  MODEL_OUTPUTS,
  OPEN_SET_BANK_FILE,
  OPEN_SET_MAHALANOBIS_FILE,
  OPEN_SET_SCORES,
  type OpenSetMetrics,
  type OpenSetParamsInput,
  type OpenSetScoreName,
  OpenSetScorer,
  type PlantidConfig,
  type Progress,
  type ScoreData,
  UsageError,
} from '@plantid/core';
import { measureFusion } from './fusion.js';
import { fitMahalanobis } from './mahalanobis.js';
import { chooseThresholds, countStatuses, type ScoredSet } from './rule.js';
import { separation, tradeOffCurve } from './separation.js';

/** One set of photos through the model: calibrated probabilities and the other outputs, n rows each. */
export interface SetOutputs {
  probs: Float32Array;
  embedding: Float32Array | null;
  logits: Float32Array | null;
  /** True classes (known photos); null for negatives. */
  actual: Int32Array | null;
  /** Negatives' groups (species folders); null for known photos. */
  groups: readonly string[] | null;
}

export interface OpenSetInputs {
  classes: number;
  temperature: number;
  val: SetOutputs;
  test: SetOutputs;
  negativesVal: SetOutputs | null;
  negativesTest: SetOutputs | null;
  /** The train stage's bank: L2-normalised clean-view train embeddings and their classes. */
  bank: { rows: Float32Array; dim: number; labels: readonly number[]; bytes: Uint8Array } | null;
  config: PlantidConfig['evaluate']['openSet'];
  seed: number;
  progress?: Progress;
}

export interface OpenSetFit {
  params: OpenSetParamsInput;
  /** Files openset.json names, to write beside it. */
  files: { name: string; bytes: Uint8Array }[];
  metrics: OpenSetMetrics;
}

/** The order ties are broken in, and the default without negatives (the research's ranking on both shared datasets). */
const PREFERENCE: readonly OpenSetScoreName[] = ['knn-cosine', 'mahalanobis', 'msp', 'energy'];

export const NO_NEGATIVES_WARNING =
  'no data.negatives: the not_recognized threshold keeps {keep} of val photos and was not checked against photos of other plants; add a folder of photos that are none of the classes to data.negatives';

/**
 * Fits the open-set scores (max softmax, energy, Mahalanobis, kNN cosine), measures each one's
 * AUROC and FPR at 95 % TPR (val against the val negatives, test against the held-out test
 * negatives), picks one (`evaluate.openSet.score`, or auto: the best on val + negatives), fits
 * its thresholds on val, and reports the statuses and fusion they give on test and the negatives.
 */
export function fitOpenSet(input: OpenSetInputs): OpenSetFit {
  const { config, classes, temperature } = input;
  const warnings: string[] = [];
  const candidates = buildCandidates(input, warnings);
  const sets = {
    val: input.val,
    test: input.test,
    negativesVal: input.negativesVal,
    negativesTest: input.negativesTest,
  };
  const scored = new Map<OpenSetScoreName, Record<keyof typeof sets, ScoredSet | null>>();
  for (const c of candidates.filter((x) => x.scorer)) {
    const entry = Object.fromEntries(
      Object.entries(sets).map(([k, set]) => [
        k,
        set ? scoreSet(c.scorer!, set, classes, input.progress) : null,
      ]),
    ) as Record<keyof typeof sets, ScoredSet | null>;
    scored.set(c.score, entry);
  }
  const report = candidates.map((c) => {
    const s = scored.get(c.score);
    return {
      score: c.score,
      available: Boolean(c.scorer),
      note: c.note,
      val: s?.negativesVal ? separation(s.val!.scores, s.negativesVal.scores) : null,
      test: s?.negativesTest ? separation(s.test!.scores, s.negativesTest.scores) : null,
    };
  });

  const withNegatives = Boolean(input.negativesVal);
  const choice = choose(config.score, report, withNegatives);
  const chosen = scored.get(choice.score)!;
  const rule = chooseThresholds(chosen.val!, chosen.negativesVal, {
    valKeeps: config.valKeeps,
    valKeepsConfidence: config.valKeepsConfidence,
    target: config.negativesNotIdentified,
  });
  if (!withNegatives) warnings.push(NO_NEGATIVES_WARNING.replace('{keep}', pct(rule.valKeepsOpen)));
  if (rule.missed)
    warnings.push(
      `the not_recognized threshold answers only ${pct(rule.negativesNotIdentified!)} of the val negatives not identified (evaluate.openSet.negativesNotIdentified ${pct(config.negativesNotIdentified)}) even keeping ${pct(rule.valKeepsOpen)} of val; the classes and the negatives look alike to this model`,
    );
  const chosenWith = withNegatives ? ('val+negatives' as const) : ('val' as const);
  const candidate = candidates.find((c) => c.score === choice.score)!;
  const params: OpenSetParamsInput = {
    ...candidate.params,
    thresholds: rule.thresholds,
    rule: {
      valKeepsOpen: rule.valKeepsOpen,
      valKeepsConfidence: config.valKeepsConfidence,
      chosenWith,
      negativesNotIdentified: rule.negativesNotIdentified,
    },
  };
  const fusionPhotos = (set: SetOutputs, s: ScoredSet, keys: readonly (number | string)[]) => ({
    probs: set.probs,
    scores: s.scores,
    keys,
    actual: set.actual,
  });
  const fusion = measureFusion(
    fusionPhotos(input.test, chosen.test!, Array.from(input.test.actual!)),
    input.negativesTest && chosen.negativesTest
      ? fusionPhotos(input.negativesTest, chosen.negativesTest, input.negativesTest.groups!)
      : null,
    classes,
    config.fusion,
    rule.thresholds,
    input.seed,
  );
  const curves = (['val', 'test'] as const).flatMap((split) => {
    const negatives = split === 'val' ? chosen.negativesVal : chosen.negativesTest;
    return negatives
      ? [{ score: choice.score, split, points: tradeOffCurve(chosen[split]!.scores, negatives.scores) }]
      : [];
  });
  return {
    params,
    files: candidate.files,
    metrics: {
      score: choice.score,
      choice: { configured: config.score, chosenWith, reason: choice.reason },
      warnings,
      negatives: {
        val: input.negativesVal ? input.negativesVal.probs.length / classes : 0,
        test: input.negativesTest ? input.negativesTest.probs.length / classes : 0,
        groups: {
          val: [...new Set(input.negativesVal?.groups ?? [])],
          test: [...new Set(input.negativesTest?.groups ?? [])],
        },
      },
      candidates: report,
      temperature,
      thresholds: rule.thresholds,
      rule: params.rule,
      statuses: {
        val: countStatuses(chosen.val!, rule.thresholds),
        test: countStatuses(chosen.test!, rule.thresholds),
        negativesVal: chosen.negativesVal ? countStatuses(chosen.negativesVal, rule.thresholds) : null,
        negativesTest: chosen.negativesTest ? countStatuses(chosen.negativesTest, rule.thresholds) : null,
      },
      fusion,
      curves,
    },
  };
}

interface Candidate {
  score: OpenSetScoreName;
  /** Params without thresholds and rule (filled in once chosen). */
  params: Omit<OpenSetParamsInput, 'thresholds' | 'rule'>;
  files: { name: string; bytes: Uint8Array }[];
  scorer: OpenSetScorer | null;
  note: string | null;
}

function buildCandidates(input: OpenSetInputs, warnings: string[]): Candidate[] {
  const { temperature, bank, config } = input;
  const embeddingDim = input.val.embedding
    ? input.val.embedding.length / (input.val.probs.length / input.classes)
    : 0;
  const base = {
    version: 1 as const,
    k: config.k,
    temperature,
    embedding: null,
    bank: null,
    mahalanobis: null,
  };
  const make = (
    score: OpenSetScoreName,
    params: Candidate['params'],
    data: ScoreData,
    files: Candidate['files'],
  ): Candidate => ({
    score,
    params,
    files,
    scorer: new OpenSetScorer(
      { ...params, k: params.k ?? 1, bank: params.bank ?? null, mahalanobis: params.mahalanobis ?? null },
      data,
    ),
    note: null,
  });
  const missing = (score: OpenSetScoreName, note: string): Candidate => ({
    score,
    params: { ...base, score },
    files: [],
    scorer: null,
    note,
  });
  const embedding = { output: MODEL_OUTPUTS.embedding, dim: embeddingDim, normalize: 'l2' as const };
  const embeddingNote = !input.val.embedding
    ? 'the model has no "embedding" output (train could not write its ONNX graph)'
    : !bank
      ? 'train wrote no open-set bank (openset-bank.f16)'
      : bank.dim !== embeddingDim
        ? `the bank has ${bank.dim} dimensions, the embedding ${embeddingDim}`
        : null;
  const out: Candidate[] = [];
  for (const score of OPEN_SET_SCORES) {
    if (score === 'msp') out.push(make(score, { ...base, score }, {}, []));
    else if (score === 'energy')
      out.push(
        input.val.logits
          ? make(score, { ...base, score }, {}, [])
          : missing(score, 'the model has no "logits" output'),
      );
    else if (embeddingNote || !bank) out.push(missing(score, embeddingNote ?? 'no bank'));
    else if (score === 'knn-cosine')
      out.push(
        make(
          score,
          {
            ...base,
            score,
            embedding,
            bank: {
              file: OPEN_SET_BANK_FILE,
              rows: bank.labels.length,
              dim: bank.dim,
              dtype: 'float16',
              fittedOn: 'train (clean views)',
            },
          },
          { bank: bank.rows },
          [{ name: OPEN_SET_BANK_FILE, bytes: bank.bytes }],
        ),
      );
    else {
      let fit: ReturnType<typeof fitMahalanobis>;
      try {
        fit = fitMahalanobis(bank.rows, bank.dim, bank.labels, input.classes);
      } catch (error) {
        warnings.push(`Mahalanobis could not be fitted: ${(error as Error).message}`);
        out.push(missing(score, (error as Error).message));
        continue;
      }
      const both = new Float32Array(fit.cholesky.length + fit.means.length);
      both.set(fit.cholesky);
      both.set(fit.means, fit.cholesky.length);
      out.push(
        make(
          score,
          {
            ...base,
            score,
            embedding,
            mahalanobis: {
              file: OPEN_SET_MAHALANOBIS_FILE,
              dim: bank.dim,
              classes: input.classes,
              dtype: 'float32',
              shrinkage: fit.shrinkage,
              fittedOn: 'train (clean views, L2-normalised; Ledoit–Wolf)',
            },
          },
          { cholesky: fit.cholesky, means: fit.means },
          [{ name: OPEN_SET_MAHALANOBIS_FILE, bytes: float32Bytes(both) }],
        ),
      );
    }
  }
  return out;
}

function scoreSet(scorer: OpenSetScorer, set: SetOutputs, classes: number, progress?: Progress): ScoredSet {
  const n = set.probs.length / classes;
  const dimE = set.embedding ? set.embedding.length / n : 0;
  const dimL = set.logits ? set.logits.length / n : 0;
  const scores = new Float64Array(n);
  const confidence = new Float64Array(n);
  const predicted = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const probabilities = set.probs.subarray(i * classes, (i + 1) * classes);
    scores[i] = scorer.score({
      probabilities,
      ...(set.embedding ? { embedding: set.embedding.subarray(i * dimE, (i + 1) * dimE) } : {}),
      ...(set.logits ? { logits: set.logits.subarray(i * dimL, (i + 1) * dimL) } : {}),
    });
    let top = 0;
    for (let c = 1; c < classes; c++) if (probabilities[c]! > probabilities[top]!) top = c;
    predicted[i] = top;
    confidence[i] = probabilities[top]!;
  }
  progress?.tick(n);
  return { scores, confidence, predicted, actual: set.actual };
}

function choose(
  configured: PlantidConfig['evaluate']['openSet']['score'],
  report: {
    score: OpenSetScoreName;
    available: boolean;
    note: string | null;
    val: { auroc: number; fprAt95: number } | null;
  }[],
  withNegatives: boolean,
): { score: OpenSetScoreName; reason: string } {
  if (configured !== 'auto') {
    const c = report.find((r) => r.score === configured)!;
    if (!c.available)
      throw new UsageError(`open-set score ${configured} cannot be fitted: ${c.note}`, {
        where: 'evaluate.openSet.score',
        hint: 'use auto, or another score',
      });
    return { score: configured, reason: 'set in evaluate.openSet.score' };
  }
  const available = report.filter((r) => r.available);
  if (!withNegatives) {
    const first = PREFERENCE.find((s) => available.some((r) => r.score === s))!;
    return {
      score: first,
      reason: 'no negatives to compare on: the first available of knn-cosine, mahalanobis, msp',
    };
  }
  const rank = (r: (typeof report)[number]) => [
    Math.round(r.val!.auroc * 1000),
    -Math.round(r.val!.fprAt95 * 1000),
    -PREFERENCE.indexOf(r.score),
  ];
  const best = [...available].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return y[0]! - x[0]! || y[1]! - x[1]! || y[2]! - x[2]!;
  })[0]!;
  return {
    score: best.score,
    reason: `highest AUROC of val photos against the val negatives (${best.val!.auroc.toFixed(3)}, FPR at 95 % TPR ${pct(best.val!.fprAt95)}); ties go to the lower FPR, then to ${PREFERENCE.join(' > ')}`,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

import { join } from 'node:path';
import {
  MODEL_OUTPUTS,
  OPEN_SET_SCORES,
  type OpenSetParams,
  type OpenSetScoreName,
  readFloat16File,
  readFloat32File,
} from '../contracts/openset.js';
import { energyScore, knnCosine, l2Normalize, mahalanobisScore, maxProbability } from './scores.js';

/** One image's model outputs as the scorer reads them. */
export interface ScoredOutputs {
  /** Probabilities after temperature calibration. */
  probabilities: ArrayLike<number>;
  embedding?: ArrayLike<number>;
  logits?: ArrayLike<number>;
}

/** The graph outputs a score needs besides the probabilities. */
export function outputsNeeded(score: OpenSetScoreName): string[] {
  if (score === 'knn-cosine' || score === 'mahalanobis') return [MODEL_OUTPUTS.embedding];
  if (score === 'energy') return [MODEL_OUTPUTS.logits];
  return [];
}

/** What the scores read besides the model outputs: the bank (kNN) or the covariance's Cholesky factor and whitened means (Mahalanobis). */
export interface ScoreData {
  bank?: Float32Array;
  cholesky?: Float32Array;
  means?: Float32Array;
}

/** What a score needs of openset.json (the thresholds are the status rule's). */
export type ScorerParams = Pick<OpenSetParams, 'score' | 'k' | 'temperature' | 'bank' | 'mahalanobis'>;

/**
 * Applies one fitted open-set score (openset.json + its files) to model outputs. Serving and
 * evaluate use this one implementation, so the threshold a server applies is on the figure
 * evaluate measured.
 */
export class OpenSetScorer {
  constructor(
    readonly params: ScorerParams,
    private readonly data: ScoreData,
  ) {
    if (!OPEN_SET_SCORES.includes(params.score)) throw new Error(`unknown open-set score ${params.score}`);
  }

  /** Reads the files openset.json names from `dir` (its folder) and checks their sizes. */
  static async load(dir: string, params: ScorerParams, hint?: string): Promise<OpenSetScorer> {
    const data: ScoreData = {};
    if (params.bank) {
      const { file, rows, dim } = params.bank;
      data.bank = await readFloat16File(join(dir, file), rows * dim, hint);
    }
    if (params.mahalanobis) {
      const { file, dim, classes } = params.mahalanobis;
      const all = await readFloat32File(join(dir, file), dim * dim + classes * dim, hint);
      data.cholesky = all.subarray(0, dim * dim);
      data.means = all.subarray(dim * dim);
    }
    return new OpenSetScorer(params, data);
  }

  get needs(): string[] {
    return outputsNeeded(this.params.score);
  }

  /** The score of one image (higher = more like the known classes). Throws when an output it needs is missing. */
  score(outputs: ScoredOutputs): number {
    const { params, data } = this;
    switch (params.score) {
      case 'msp':
        return maxProbability(outputs.probabilities);
      case 'energy':
        return energyScore(required(outputs.logits, MODEL_OUTPUTS.logits), params.temperature);
      case 'knn-cosine':
        return knnCosine(
          data.bank!,
          params.bank!.dim,
          l2Normalize(required(outputs.embedding, MODEL_OUTPUTS.embedding)),
          params.k,
        );
      case 'mahalanobis':
        return mahalanobisScore(
          data.cholesky!,
          data.means!,
          params.mahalanobis!.dim,
          l2Normalize(required(outputs.embedding, MODEL_OUTPUTS.embedding)),
        );
    }
  }
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`the open-set score needs the model output "${name}"`);
  return value;
}

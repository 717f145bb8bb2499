import { SPLITS, type Split } from '@plantid/core';

export interface ClassBalance {
  label: string;
  labelId: string;
  total: number;
  usable: number;
  perSplit: Record<Split, number>;
}

/**
 * Balanced class weights as in scikit-learn / Keras recipes: n_train / (n_classes · n_c),
 * so every class contributes equally to the loss. A class absent from train gets 0.
 */
export function balancedClassWeights(classes: ClassBalance[]): Record<string, number> {
  const trainTotal = classes.reduce((s, c) => s + c.perSplit.train, 0);
  const weights: Record<string, number> = {};
  for (const c of classes) {
    weights[c.labelId] =
      c.perSplit.train > 0 ? Number((trainTotal / (classes.length * c.perSplit.train)).toFixed(6)) : 0;
  }
  return weights;
}

/** Largest over smallest usable class size (1 = perfectly balanced). */
export function imbalanceRatio(classes: ClassBalance[]): number | null {
  const sizes = classes.map((c) => c.usable).filter((n) => n > 0);
  if (sizes.length === 0) return null;
  return Number((Math.max(...sizes) / Math.min(...sizes)).toFixed(3));
}

export function emptySplitCounts(): Record<Split, number> {
  return Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;
}

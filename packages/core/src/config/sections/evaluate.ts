import { z } from 'zod';
import { OPEN_SET_SCORES } from '../../contracts/openset.js';
import { fraction, positiveInt } from './common.js';

export const evaluateSchema = z
  .strictObject({
    topK: z.array(positiveInt).min(1).default([1, 3]),
    gate: z
      .strictObject({
        top1: fraction.optional().describe('Minimum test top-1 accuracy.'),
        minRecall: fraction.optional().describe('Minimum recall of every class.'),
        maxEce: fraction.optional().describe('Maximum expected calibration error after temperature scaling.'),
      })
      .prefault({}),
    openSet: z
      .strictObject({
        score: z
          .enum(['auto', ...OPEN_SET_SCORES])
          .default('auto')
          .describe(
            'Score behind "not a plant I know": knn-cosine (nearest training photo), mahalanobis (class means, shared shrunk covariance), msp (top softmax probability) or energy (logsumexp of logits); auto picks the best AUROC on val + data.negatives.',
          ),
        k: positiveInt.default(1).describe('Neighbours averaged by knn-cosine.'),
        valKeeps: z
          .array(fraction)
          .min(1)
          .default([0.99, 0.985, 0.98, 0.975, 0.97])
          .describe(
            'Shares of val photos the not_recognized threshold lets through, tried largest first: the first that answers negativesNotIdentified of the negatives not identified wins (without negatives: the first).',
          ),
        valKeepsConfidence: fraction
          .default(0.98)
          .describe(
            'Share of the val photos past that threshold whose confidence reaches the identified threshold.',
          ),
        negativesNotIdentified: fraction
          .default(0.95)
          .describe('Share of negatives (val part) that must be answered uncertain or not_recognized.'),
        fusion: z
          .array(positiveInt.min(2).max(5))
          .default([2, 3])
          .describe('Group sizes for measuring several photos of one plant (test photos of a class fused).'),
      })
      .prefault({}),
  })
  .prefault({});

import { z } from 'zod';
import { fraction, nonNegativeInt, positiveInt } from './common.js';

/** One source of labelled photos: a folder-per-class tree or a CSV/JSONL manifest. */
export const dataSourceSchema = z.strictObject({
  name: z.string().min(1).describe('Source name recorded on every manifest record.').optional(),
  root: z.string().min(1).describe('Folder of images; with no manifest, one sub-folder per class.'),
  manifest: z
    .string()
    .min(1)
    .describe('CSV or JSONL file listing path,label[,split,source,license], paths relative to root.')
    .optional(),
  license: z.string().describe('Licence of these images, recorded on every record.').optional(),
});

export const dataSchema = z
  .strictObject({
    root: z
      .string()
      .min(1)
      .describe('Folder-per-class image tree (shorthand for a single source).')
      .optional(),
    sources: z
      .array(dataSourceSchema)
      .min(1)
      .describe('Several sources, each with its own name and licence.')
      .optional(),
    license: z.string().describe('Licence of the images under `root`.').optional(),
    minSide: positiveInt
      .default(96)
      .describe('Images whose shorter side is below this are flagged too_small.'),
    minPerClass: positiveInt.default(20).describe('Warn for classes with fewer usable images.'),
    keepLocation: z.boolean().default(false).describe('Keep EXIF GPS location on manifest records (opt-in).'),
    blur: z
      .strictObject({
        threshold: z
          .union([z.literal('auto'), z.number().nonnegative()])
          .default('auto')
          .describe('Variance-of-Laplacian threshold; auto derives it from the data.'),
      })
      .prefault({}),
    maxAspect: z
      .number()
      .min(1)
      .default(4)
      .describe('Images whose long/short side ratio exceeds this are flagged extreme_aspect.'),
    nearDuplicate: z
      .strictObject({
        hamming: nonNegativeInt
          .max(32)
          .default(6)
          .describe('Perceptual-hash Hamming radius for near duplicates.'),
      })
      .prefault({}),
    split: z
      .strictObject({
        train: fraction.default(0.7),
        val: fraction.default(0.15),
        test: fraction.default(0.15),
      })
      .prefault({})
      .refine((s) => Math.abs(s.train + s.val + s.test - 1) < 1e-6, {
        message: 'train + val + test must add up to 1',
      }),
  })
  .prefault({})
  .refine((d) => d.root !== undefined || d.sources !== undefined, {
    message: 'set data.root or data.sources',
  });

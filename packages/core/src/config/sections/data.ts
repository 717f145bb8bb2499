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
  feedback: z
    .boolean()
    .describe(
      'root is a serving feedback store (feedback.jsonl + images/): photos users gave with consent join the data under the species they chose.',
    )
    .optional(),
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
    negatives: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Folders of photos that are none of the classes (other plants, non-plants); sub-folders are groups (e.g. species). They never enter train/val/test: evaluate fits and checks the "not a plant I know" threshold on them.',
      ),
    taxonomy: z
      .string()
      .min(1)
      .optional()
      .describe(
        'CSV or YAML: one row per class (folder name or label id) with scientificName, genus, family, common names per language (columns en, vi, tl, …) and sensitive (true hides locations). Carried in labels.json and the bundle.',
      ),
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
    nearUniform: z
      .strictObject({
        std: z
          .number()
          .nonnegative()
          .default(6)
          .describe(
            'Images whose grey-level standard deviation (0–255) is below this are flagged near_uniform.',
          ),
      })
      .prefault({}),
    nearDuplicate: z
      .strictObject({
        hamming: nonNegativeInt
          .max(32)
          .default(10)
          .describe(
            'Perceptual-hash (64-bit pHash) Hamming radius for near-duplicate candidates (confirmed by minDetail).',
          ),
        minDetail: z
          .number()
          .min(-1)
          .max(1)
          .default(0.9)
          .describe(
            'A pHash match is a near duplicate only when the fine-detail correlation of the two images reaches this (1 = identical).',
          ),
        sequence: z
          .strictObject({
            enabled: z
              .boolean()
              .default(true)
              .describe(
                'Keep look-alike consecutive shots (same folder, file numbers n and n+1) in one split.',
              ),
            hamming: nonNegativeInt
              .max(32)
              .default(12)
              .describe('pHash radius under which two consecutive shots are kept together.'),
          })
          .prefault({}),
      })
      .prefault({}),
    concurrency: positiveInt.optional().describe('Images decoded at once; default: 2 × CPU cores.'),
    report: z
      .strictObject({
        thumbnailsPerClass: nonNegativeInt.default(8).describe('Thumbnails per class in report.html.'),
        maxGroups: nonNegativeInt.default(40).describe('Duplicate groups shown side by side in report.html.'),
        maxFlagged: nonNegativeInt
          .default(120)
          .describe('Flagged images shown in report.html (report.json lists all).'),
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
      })
      .describe(
        "Shares of usable photos per split. A photo's split follows from `seed` and its content hash, so photos added later (feedback) never move earlier ones.",
      ),
  })
  .prefault({})
  .refine((d) => d.root !== undefined || d.sources !== undefined, {
    message: 'set data.root or data.sources',
  });

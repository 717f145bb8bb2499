import { z } from 'zod';
import { fraction, nonNegativeInt } from './common.js';

export const augmentSchema = z
  .strictObject({
    flip: z.boolean().default(true).describe('Random horizontal flip.'),
    rotate: z.number().min(0).max(180).default(15).describe('Max rotation in degrees, either way.'),
    crop: z
      .tuple([fraction, fraction])
      .default([0.6, 1])
      .refine(([lo, hi]) => lo > 0 && lo <= hi, { message: 'give [min, max] with 0 < min ≤ max ≤ 1' })
      .describe('Random resized crop: area fraction range.'),
    ratio: z
      .tuple([z.number().positive(), z.number().positive()])
      .default([0.75, 1.3333])
      .refine(([lo, hi]) => lo <= hi, { message: 'give [min, max] with min ≤ max' })
      .describe('Random resized crop: aspect range.'),
    colorJitter: fraction
      .default(0.2)
      .describe('Brightness/contrast/saturation jitter strength; hue gets a tenth of it.'),
    views: nonNegativeInt
      .default(2)
      .describe('Augmented views per training image, embedded once and cached (0 = clean images only).'),
    tta: z
      .boolean()
      .default(true)
      .describe(
        "Also train on preprocess.tta's views of every training photo (the crops the model sees at test time).",
      ),
  })
  .prefault({});

import { z } from 'zod';

/** labels.json: index order = model output order (the dataset/train contract). */
export const bundleLabelsSchema = z
  .array(
    z.looseObject({ index: z.number().int().nonnegative(), id: z.string().min(1), name: z.string().min(1) }),
  )
  .min(1, 'expected at least one label')
  .refine((labels) => labels.every((l, i) => l.index === i), {
    message: 'label indices must be 0..n-1 in order',
  });

export type BundleLabel = z.infer<typeof bundleLabelsSchema>[number];

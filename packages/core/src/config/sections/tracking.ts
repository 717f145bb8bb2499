import { z } from 'zod';

export const trackingSchema = z
  .strictObject({
    uri: z.string().default('file:./mlruns').describe('file:<dir> for the local store, http(s):// for an MLflow server.'),
    experiment: z.string().default('plantid'),
  })
  .prefault({});

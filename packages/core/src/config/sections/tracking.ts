import { z } from 'zod';
import { nonNegativeInt, positiveInt } from './common.js';

export const trackingSchema = z
  .strictObject({
    uri: z
      .string()
      .regex(
        /^(file:|https?:\/\/)/,
        'use file:<dir> for the local store or http(s)://host:port for an MLflow server',
      )
      .default('file:./mlruns')
      .describe('file:<dir> for the local store, http(s):// for an MLflow server.'),
    experiment: z
      .string()
      .min(1)
      .default('plantid')
      .describe('Experiment name (created on the MLflow server when missing).'),
    localDir: z
      .string()
      .min(1)
      .default('mlruns')
      .describe(
        'Local store kept as a write-ahead buffer when uri is an MLflow server; replayed by `runs sync`.',
      ),
    retries: nonNegativeInt
      .max(10)
      .default(4)
      .describe('Retries with exponential backoff on 5xx and network errors.'),
    timeoutMs: positiveInt.default(30_000).describe('Timeout of one request to the MLflow server.'),
  })
  .prefault({});

import { z } from 'zod';

export const positiveNumber = z
  .number({ error: 'expected a positive number' })
  .positive('expected a positive number');
export const positiveInt = z
  .number({ error: 'expected a positive integer' })
  .int('expected a positive integer')
  .positive('expected a positive integer');
export const nonNegativeInt = z.number({ error: 'expected a whole number ≥ 0' }).int().nonnegative();
export const fraction = z.number({ error: 'expected a number between 0 and 1' }).min(0).max(1);

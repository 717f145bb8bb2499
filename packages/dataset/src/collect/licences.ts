import { UsageError } from '@plantid/core';

/**
 * iNaturalist's photo licence codes (lower case, as `license_code` in its API) and what each lets a
 * model trainer do. Informational: the user decides; the codes travel into the manifest and the card.
 */
export const LICENCES = {
  cc0: { name: 'CC0 1.0 (public domain)', commercial: true, attribution: false, shareAlike: false },
  'cc-by': { name: 'CC BY 4.0', commercial: true, attribution: true, shareAlike: false },
  'cc-by-sa': { name: 'CC BY-SA 4.0', commercial: true, attribution: true, shareAlike: true },
  'cc-by-nd': { name: 'CC BY-ND 4.0', commercial: true, attribution: true, shareAlike: false },
  'cc-by-nc': { name: 'CC BY-NC 4.0', commercial: false, attribution: true, shareAlike: false },
  'cc-by-nc-sa': { name: 'CC BY-NC-SA 4.0', commercial: false, attribution: true, shareAlike: true },
  'cc-by-nc-nd': { name: 'CC BY-NC-ND 4.0', commercial: false, attribution: true, shareAlike: false },
} as const;

export type LicenceCode = keyof typeof LICENCES;

/** Photos under these may train a model used commercially, with attribution kept (the default filter). */
export const DEFAULT_LICENCES: readonly LicenceCode[] = ['cc0', 'cc-by', 'cc-by-sa'];

/** `cc-by,CC0` → `['cc-by', 'cc0']`; an unknown code is a usage error naming the flag. */
export function parseLicences(list: string, where = '--licence'): LicenceCode[] {
  const codes = list
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  for (const code of codes)
    if (!(code in LICENCES))
      throw new UsageError(`unknown licence "${code}"`, {
        where,
        hint: `use some of ${Object.keys(LICENCES).join(', ')}`,
      });
  if (codes.length === 0)
    throw new UsageError('no licence given', { where, hint: 'e.g. cc-by,cc-by-sa,cc0' });
  return [...new Set(codes)] as LicenceCode[];
}

import { sha256 } from '@plantid/core';

/** `10Coleus scutellarioides(CS)` → `10coleus-scutellarioides-cs`; accents folded; stable. */
export function slugify(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // Names with no Latin letters at all (e.g. 薄荷) still need a stable, distinct id.
  return ascii || `class-${sha256(name).slice(0, 8)}`;
}

/** Slug ids for a set of names: collisions get a hash suffix that depends only on the name. */
export function slugIds(names: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(names)].sort();
  const bySlug = new Map<string, string[]>();
  for (const name of sorted) {
    const slug = slugify(name);
    bySlug.set(slug, [...(bySlug.get(slug) ?? []), name]);
  }
  const ids = new Map<string, string>();
  for (const [slug, group] of bySlug) {
    for (const name of group)
      ids.set(name, group.length === 1 ? slug : `${slug}-${sha256(name).slice(0, 6)}`);
  }
  return ids;
}

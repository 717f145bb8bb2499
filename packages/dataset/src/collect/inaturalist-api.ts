import { z } from 'zod';

/**
 * The fields plantid reads of `GET /v1/observations` (api.inaturalist.org/v1/docs): a page of
 * observations, each with its taxon, observer and photos. Everything else is ignored.
 */
const photoSchema = z.object({
  id: z.number().int(),
  /** A `square` (75 px) URL; the same path with `medium` (≤ 500 px) is what we download. */
  url: z.string().nullable(),
  license_code: z.string().nullable(),
  attribution: z.string().nullable().optional(),
});

const observationSchema = z.object({
  id: z.number().int(),
  uri: z.string().nullable().optional(),
  quality_grade: z.string().optional(),
  observed_on: z.string().nullable().optional(),
  taxon: z.object({ id: z.number().int(), name: z.string(), rank: z.string().optional() }).nullable(),
  user: z.object({ login: z.string(), name: z.string().nullable().optional() }).nullable().optional(),
  photos: z.array(photoSchema).default([]),
});

export const observationsPageSchema = z.object({
  total_results: z.number().int(),
  page: z.number().int().optional(),
  per_page: z.number().int().optional(),
  results: z.array(observationSchema),
});

export type Observation = z.infer<typeof observationSchema>;
export type ObservationsPage = z.infer<typeof observationsPageSchema>;

export interface ObservationQuery {
  /** A taxon id (digits) or a scientific name. */
  taxon: string;
  place?: string | undefined;
  licences: readonly string[];
  perPage: number;
  /** Paging by id (`order_by=id&order=asc&id_above=`), which iNaturalist recommends past 10,000 results. */
  idAbove: number;
}

/** The query URL of one page: research-grade observations with photos under the given licences. */
export function observationsUrl(apiBase: string, q: ObservationQuery): string {
  const params = new URLSearchParams({
    [/^\d+$/.test(q.taxon) ? 'taxon_id' : 'taxon_name']: q.taxon,
    quality_grade: 'research',
    photos: 'true',
    photo_license: q.licences.join(','),
    per_page: String(q.perPage),
    order_by: 'id',
    order: 'asc',
    id_above: String(q.idAbove),
  });
  if (q.place) params.set('place_id', q.place);
  return `${apiBase.replace(/\/+$/, '')}/observations?${params}`;
}

/** `…/photos/123/square.jpg` → `…/photos/123/medium.jpg`. */
export function mediumPhotoUrl(url: string): string {
  return url.replace(/\/square(\.[a-z]+)(\?.*)?$/i, '/medium$1$2');
}

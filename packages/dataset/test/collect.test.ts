import { describe, expect, it } from 'vitest';
import { mediumPhotoUrl, observationsUrl, parseLicences } from '../src/collect/index.js';

describe('iNaturalist collector helpers', () => {
  it('asks for research-grade observations with photos under the licences, paged by id', () => {
    const url = new URL(
      observationsUrl('https://api.inaturalist.org/v1/', {
        taxon: '53589',
        place: '6744',
        licences: ['cc0', 'cc-by'],
        perPage: 200,
        idAbove: 41,
      }),
    );
    expect(url.pathname).toBe('/v1/observations');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      taxon_id: '53589',
      place_id: '6744',
      quality_grade: 'research',
      photos: 'true',
      photo_license: 'cc0,cc-by',
      per_page: '200',
      order_by: 'id',
      order: 'asc',
      id_above: '41',
    });
    const byName = new URL(
      observationsUrl('http://x/v1', {
        taxon: 'Ocimum basilicum',
        licences: ['cc0'],
        perPage: 1,
        idAbove: 0,
      }),
    );
    expect(byName.searchParams.get('taxon_name')).toBe('Ocimum basilicum');
    expect(byName.searchParams.has('place_id')).toBe(false);
  });

  it('downloads the medium size of a square photo URL', () => {
    expect(mediumPhotoUrl('https://static.inaturalist.org/photos/123/square.jpg?1545')).toBe(
      'https://static.inaturalist.org/photos/123/medium.jpg?1545',
    );
    expect(mediumPhotoUrl('https://x/photos/9/square.JPEG')).toBe('https://x/photos/9/medium.JPEG');
  });

  it('parses --licence and names the flag on an unknown code', () => {
    expect(parseLicences(' CC-BY,cc0,cc-by ')).toEqual(['cc-by', 'cc0']);
    expect(() => parseLicences('cc-by,cc-zero')).toThrow(/unknown licence "cc-zero"/);
    expect(() => parseLicences(',')).toThrow(/no licence given/);
  });
});

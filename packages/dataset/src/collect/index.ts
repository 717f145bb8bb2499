export {
  COLLECT_MANIFEST,
  type CollectOptions,
  type CollectResult,
  collectInaturalist,
  INATURALIST_API,
} from './inaturalist.js';
export { mediumPhotoUrl, observationsUrl } from './inaturalist-api.js';
export { DEFAULT_LICENCES, LICENCES, type LicenceCode, parseLicences } from './licences.js';

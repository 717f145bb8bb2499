/** JSON schemas shared by the routes; Fastify validates and serialises with them and @fastify/swagger turns them into /openapi.json. */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error: an HTTP status, a stable code to branch on, and a message saying what to do.',
  properties: {
    statusCode: { type: 'integer', examples: [415] },
    code: { type: 'string', examples: ['IMAGE_UNSUPPORTED_TYPE'] },
    error: { type: 'string', examples: ['Unsupported Media Type'] },
    message: {
      type: 'string',
      examples: ['image is not an image (unrecognised content); send JPEG, PNG, WebP, GIF, TIFF or AVIF'],
    },
  },
  required: ['statusCode', 'code', 'error', 'message'],
} as const;

export const modelRefSchema = {
  $id: 'ModelRef',
  type: 'object',
  properties: {
    name: { type: 'string', examples: ['plantid'] },
    version: { type: 'string', examples: ['3'] },
  },
  required: ['name', 'version'],
} as const;

export const predictionSchema = {
  $id: 'Prediction',
  type: 'object',
  properties: {
    label: {
      type: 'string',
      description: 'Stable label id (labels.json `id`).',
      examples: ['coleus-scutellarioides-cs'],
    },
    name: {
      type: 'string',
      description:
        'Display name: the common name in `?lang=` (else English) when the bundle has a taxonomy, else the scientific name, else the folder name without numbering and abbreviations.',
      examples: ['Coleus scutellarioides'],
    },
    scientificName: { type: 'string', description: 'From the taxonomy (data.taxonomy), when given.' },
    genus: { type: 'string' },
    family: { type: 'string' },
    confidence: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Probability, temperature-calibrated when the bundle has a calibration.',
    },
  },
  required: ['label', 'name', 'confidence'],
} as const;

export const timingsSchema = {
  $id: 'Timings',
  type: 'object',
  description:
    'Milliseconds: decode + preprocess, waiting for a batch, the inference call, and the whole request.',
  properties: {
    decodeMs: { type: 'number' },
    queueMs: { type: 'number' },
    inferMs: { type: 'number' },
    totalMs: { type: 'number' },
  },
  required: ['decodeMs', 'queueMs', 'inferMs', 'totalMs'],
} as const;

export const answerStatusSchema = {
  $id: 'AnswerStatus',
  type: 'string',
  enum: ['identified', 'uncertain', 'not_recognized'],
  description:
    'identified: a confident species (or genus/family, see `rank`); uncertain: a species is likely but not sure (the predictions are still listed: "Not sure — maybe …"); not_recognized: probably none of the species this model knows.',
} as const;

export const answerRankSchema = {
  $id: 'AnswerRank',
  type: 'string',
  enum: ['species', 'genus', 'family'],
  description:
    'species; genus or family when no species was sure enough but the summed probability of one genus (then family) with several known species was (`taxon`).',
} as const;

export const taxonSchema = {
  $id: 'Taxon',
  type: ['object', 'null'],
  description:
    'The genus or family answered (rank genus/family) with its known member species; null when the answer is a species.',
  properties: {
    rank: { type: 'string', enum: ['genus', 'family'] },
    name: { type: 'string', examples: ['Citrus'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    members: { type: 'array', items: { $ref: 'Prediction#' } },
  },
  required: ['rank', 'name', 'confidence', 'members'],
} as const;

export const openSetScoreSchema = {
  $id: 'OpenSetScore',
  type: 'object',
  description:
    'The open-set score of the photo (similarity to the nearest training photo for knn-cosine; null when the bundle has no openset.json) and the thresholds applied: below `open` → not_recognized; top-1 confidence at or above `confidence` → identified.',
  properties: {
    score: { type: ['number', 'null'] },
    thresholds: {
      type: 'object',
      properties: {
        open: { type: ['number', 'null'] },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
      },
      required: ['open', 'confidence'],
    },
  },
  required: ['score', 'thresholds'],
} as const;

export const predictResponseSchema = {
  $id: 'PredictResponse',
  type: 'object',
  properties: {
    id: {
      type: 'string',
      format: 'uuid',
      description: 'Prediction id; send it back with POST /v1/feedback.',
    },
    model: { $ref: 'ModelRef#' },
    status: { $ref: 'AnswerStatus#' },
    rank: { $ref: 'AnswerRank#' },
    taxon: { $ref: 'Taxon#' },
    openSet: { $ref: 'OpenSetScore#' },
    predictions: { type: 'array', items: { $ref: 'Prediction#' } },
    timings: { $ref: 'Timings#' },
  },
  required: ['id', 'model', 'status', 'rank', 'taxon', 'openSet', 'predictions', 'timings'],
} as const;

export const sharedSchemas = [
  errorSchema,
  modelRefSchema,
  predictionSchema,
  answerStatusSchema,
  answerRankSchema,
  taxonSchema,
  openSetScoreSchema,
  timingsSchema,
  predictResponseSchema,
];

export const PRIVACY_TEXT = [
  'Privacy: uploaded photos are used to answer the request and are held in memory only, for at most',
  '`serve.predictionMemory.minutes`, so that feedback can refer to them. They are written to disk only when',
  'feedback is sent with `consent: true`; the stored copy is re-encoded with all metadata (EXIF, GPS, XMP) removed.',
  'Without consent only the label judgement is stored. A location is stored only when the client sends one',
  'explicitly in the feedback body; it is never read from the photo. Request logs carry the sha256 of each',
  'upload, never its bytes.',
].join(' ');

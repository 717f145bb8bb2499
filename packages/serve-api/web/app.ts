// The web page's script. Plain TypeScript with erasable types only: the server strips the
// types (node:module stripTypeScriptTypes) and serves it as /app.js.

interface Label {
  index: number;
  id: string;
  name: string;
}
interface Prediction {
  label: string;
  name: string;
  confidence: number;
}
interface PredictResponse {
  id: string;
  model: { name: string; version: string };
  status: 'identified' | 'uncertain' | 'not_recognized';
  rank: 'species' | 'genus' | 'family';
  taxon: { rank: string; name: string; confidence: number; members: Prediction[] } | null;
  predictions: Prediction[];
}
interface ApiError {
  message?: string;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from the page`);
  return el as T;
};

const ui = {
  model: $<HTMLParagraphElement>('model'),
  camera: $<HTMLInputElement>('camera'),
  photo: $<HTMLInputElement>('photo'),
  preview: $<HTMLElement>('preview'),
  previewImg: $<HTMLImageElement>('preview-img'),
  status: $<HTMLParagraphElement>('status'),
  feedbackStatus: $<HTMLParagraphElement>('feedback-status'),
  results: $<HTMLElement>('results'),
  predictions: $<HTMLOListElement>('predictions'),
  verdict: $<HTMLParagraphElement>('verdict'),
  feedback: $<HTMLElement>('feedback'),
  correct: $<HTMLButtonElement>('correct'),
  wrong: $<HTMLButtonElement>('wrong'),
  pickRight: $<HTMLElement>('pick-right'),
  species: $<HTMLSelectElement>('species'),
  consent: $<HTMLInputElement>('consent'),
  send: $<HTMLButtonElement>('send'),
};

let labels: Label[] = [];
let current: PredictResponse | null = null;
let verdict: 'correct' | 'wrong' | null = null;
let previewUrl: string | null = null;

function say(text: string, isError = false, where: HTMLElement = ui.status): void {
  where.textContent = text;
  where.classList.toggle('error', isError);
}

const sayNearSend = (text: string, isError = false) => say(text, isError, ui.feedbackStatus);

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as ApiError;
    return body.message ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function loadModel(): Promise<void> {
  try {
    const response = await fetch('v1/models');
    if (!response.ok) throw new Error(await errorMessage(response));
    const body = (await response.json()) as { models: { name: string; version: string; labels: Label[] }[] };
    const model = body.models[0];
    if (!model) {
      ui.model.textContent = 'No model loaded yet; reload the page in a moment.';
      return;
    }
    labels = [...model.labels].sort((a, b) => a.name.localeCompare(b.name));
    ui.model.textContent = `Model ${model.name} v${model.version} · knows ${labels.length} species`;
  } catch (error) {
    ui.model.textContent = `Cannot reach the model: ${(error as Error).message}`;
  }
}

function resetFeedback(): void {
  verdict = null;
  ui.correct.setAttribute('aria-pressed', 'false');
  ui.wrong.setAttribute('aria-pressed', 'false');
  ui.correct.disabled = false;
  ui.wrong.disabled = false;
  ui.pickRight.hidden = true;
  ui.consent.checked = false;
  ui.consent.disabled = false;
  ui.send.disabled = true;
  ui.send.textContent = 'Send feedback';
  say('', false, ui.feedbackStatus);
}

/** What the answer status means to someone holding the plant: a name, "not sure — maybe …", or "not one I know". */
function verdictText(result: PredictResponse): string {
  const top = result.predictions[0];
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  if (result.status === 'not_recognized')
    return "This doesn't look like a plant I know. Try another photo: one leaf or flower, close up, filling the frame.";
  if (result.status === 'uncertain')
    return `Not sure — maybe ${result.predictions
      .slice(0, 2)
      .map((p) => p.name)
      .join(' or ')}. Another photo (a different leaf, the flower) would help.`;
  if (result.taxon)
    return `A ${result.taxon.rank} ${result.taxon.name} plant (${pct(result.taxon.confidence)}); which species is not sure: ${result.taxon.members.map((m) => m.name).join(', ')}.`;
  return top ? `This is ${top.name} (${pct(top.confidence)}).` : '';
}

function showPredictions(result: PredictResponse): void {
  ui.verdict.textContent = verdictText(result);
  ui.verdict.dataset.status = result.status;
  ui.predictions.replaceChildren(
    ...result.predictions.map((p) => {
      const item = document.createElement('li');
      item.className = 'prediction';
      item.dataset.label = p.label;
      const pct = `${(p.confidence * 100).toFixed(1)}%`;
      const top = document.createElement('div');
      top.className = 'top';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = p.name;
      const value = document.createElement('span');
      value.className = 'pct';
      value.textContent = pct;
      top.append(name, value);
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.setAttribute('role', 'meter');
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', '100');
      bar.setAttribute('aria-valuenow', (p.confidence * 100).toFixed(1));
      bar.setAttribute('aria-label', `${p.name} confidence`);
      const fill = document.createElement('span');
      fill.style.width = pct;
      bar.append(fill);
      item.append(top, bar);
      return item;
    }),
  );
  const top1 = result.predictions[0]?.label;
  ui.species.replaceChildren(
    new Option('Choose the species…', ''),
    ...labels.filter((l) => l.id !== top1).map((l) => new Option(l.name, l.id)),
  );
  ui.results.hidden = false;
  ui.feedback.hidden = false;
  resetFeedback();
}

async function identify(file: File): Promise<void> {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  ui.previewImg.src = previewUrl;
  ui.preview.hidden = false;
  ui.results.hidden = true;
  ui.feedback.hidden = true;
  current = null;
  say('Identifying…');
  const form = new FormData();
  form.append('image', file, file.name || 'photo.jpg');
  try {
    const response = await fetch('v1/predict?topK=3', { method: 'POST', body: form });
    if (!response.ok) {
      say(await errorMessage(response), true);
      return;
    }
    current = (await response.json()) as PredictResponse;
    say('');
    showPredictions(current);
  } catch (error) {
    say(`Network error: ${(error as Error).message}`, true);
  }
}

function chosenLabel(): string | null {
  if (!current) return null;
  if (verdict === 'correct') return current.predictions[0]?.label ?? null;
  if (verdict === 'wrong') return ui.species.value || null;
  return null;
}

function setVerdict(next: 'correct' | 'wrong'): void {
  verdict = next;
  ui.correct.setAttribute('aria-pressed', String(next === 'correct'));
  ui.wrong.setAttribute('aria-pressed', String(next === 'wrong'));
  ui.pickRight.hidden = next !== 'wrong';
  if (next === 'wrong') ui.species.focus();
  ui.send.disabled = chosenLabel() === null;
}

async function sendFeedback(): Promise<void> {
  const label = chosenLabel();
  if (!current || !label) return;
  ui.send.disabled = true;
  sayNearSend('Sending…');
  try {
    const response = await fetch('v1/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: current.id, label, consent: ui.consent.checked }),
    });
    if (!response.ok) {
      sayNearSend(await errorMessage(response), true);
      ui.send.disabled = false;
      return;
    }
    const body = (await response.json()) as { imageStored: boolean };
    sayNearSend(
      body.imageStored
        ? 'Thank you! Your photo and answer were saved for the next training run.'
        : 'Thank you! Your answer was saved (the photo was not kept).',
    );
    ui.send.textContent = 'Sent';
    ui.correct.disabled = true;
    ui.wrong.disabled = true;
    ui.consent.disabled = true;
  } catch (error) {
    sayNearSend(`Network error: ${(error as Error).message}`, true);
    ui.send.disabled = false;
  }
}

for (const input of [ui.camera, ui.photo]) {
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void identify(file);
    input.value = '';
  });
}
ui.correct.addEventListener('click', () => setVerdict('correct'));
ui.wrong.addEventListener('click', () => setVerdict('wrong'));
ui.species.addEventListener('change', () => {
  ui.send.disabled = chosenLabel() === null;
});
ui.send.addEventListener('click', () => void sendFeedback());
void loadModel();

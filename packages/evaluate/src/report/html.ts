import type { GateResult, LeakPair, OpenSetMetrics, SplitMetrics } from '@plantid/core';

export interface GalleryItem {
  path: string;
  actual: string;
  predicted: string;
  /** Model's probability of its prediction. */
  confidence: number;
  /** Model's probability of the true class. */
  trueProbability: number;
  loss: number;
  /** data: URI of a small JPEG. */
  thumbnail: string;
}

export interface PreviousComparison {
  runId: string;
  sameConfig: boolean;
  rows: { name: string; previous: number | null; now: number; higherIsBetter: boolean }[];
  classRecall: { name: string; previous: number; now: number }[];
}

export interface ReportInput {
  title: string;
  runId: string;
  created: string;
  engine: string;
  temperature: number;
  test: SplitMetrics;
  val: SplitMetrics;
  topK: number[];
  gate: GateResult;
  gateFailures: string[];
  leakage: { checked: number; radius: number; pairs: LeakPair[] };
  charts: { confusion: string; reliability: string; perClass: string };
  gallery: GalleryItem[];
  misclassifiedTotal: number;
  previous: PreviousComparison | null;
  openSet: OpenSetMetrics | null;
  /** SVG of the open-set curves; null without negatives. */
  openSetChart: string | null;
}

const esc = (s: string | number) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number, d = 3) => x.toFixed(d);

function signed(delta: number, asPercent: boolean): string {
  const s = asPercent ? `${(delta * 100).toFixed(1)} pts` : delta.toFixed(4);
  return delta > 0 ? `+${s}` : s;
}

function figures(input: ReportInput): string {
  const t = input.test;
  const cards = [
    ['test top-1', pct(t.top1)],
    ...input.topK.filter((k) => k !== 1).map((k) => [`test top-${k}`, pct(t.topK[String(k)] ?? 0)]),
    ['macro F1', num(t.macro.f1)],
    ['weighted F1', num(t.weighted.f1)],
    ['ECE', `${num(t.ece)} → ${num(t.eceCalibrated)}`],
    ['temperature', num(input.temperature, 2)],
    ['test images', String(t.count)],
    ['val top-1', pct(input.val.top1)],
  ];
  return `<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="v">${esc(v!)}</div><div class="k">${esc(k!)}</div></div>`).join('')}</div>`;
}

function gateBlock(input: ReportInput): string {
  if (input.gate.checks.length === 0)
    return '<p class="gate none">No gate thresholds configured (evaluate.gate).</p>';
  const rows = input.gate.checks
    .filter((c) => !c.passed || c.key !== 'evaluate.gate.minRecall')
    .map(
      (c) =>
        `<tr class="${c.passed ? 'ok' : 'bad'}"><td>${esc(c.key)}</td><td>${esc(c.what)}</td><td>${c.kind === 'min' ? '≥' : '≤'} ${num(c.threshold, 4)}</td><td>${num(c.actual, 4)}</td><td>${c.passed ? 'pass' : `fail by ${num(c.shortfall, 4)}`}</td></tr>`,
    )
    .join('');
  const recallChecks = input.gate.checks.filter((c) => c.key === 'evaluate.gate.minRecall');
  const recallNote =
    recallChecks.length && recallChecks.every((c) => c.passed)
      ? `<p>Every class recall ≥ ${num(recallChecks[0]!.threshold, 4)}.</p>`
      : '';
  return `<div class="gate ${input.gate.passed ? 'pass' : 'fail'}"><strong>Gate ${input.gate.passed ? 'passed' : 'FAILED'}</strong>${
    input.gateFailures.length
      ? `<ul>${input.gateFailures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`
      : ''
  }<table><tr><th>threshold</th><th>measured</th><th>required</th><th>actual</th><th>result</th></tr>${rows}</table>${recallNote}</div>`;
}

function openSetBlock(o: OpenSetMetrics | null, chart: string | null): string {
  if (!o) return '<p class="muted">No open-set fit.</p>';
  const sep = (x: { auroc: number; fprAt95: number } | null) =>
    x ? `${num(x.auroc)} / ${pct(x.fprAt95)}` : '—';
  const candidates = o.candidates
    .map(
      (c) =>
        `<tr><td>${esc(c.score)}${c.score === o.score ? ' (chosen)' : ''}</td><td>${sep(c.val)}</td><td>${sep(c.test)}</td><td>${esc(c.note ?? '')}</td></tr>`,
    )
    .join('');
  const status = (name: string, s: OpenSetMetrics['statuses']['test'] | null) =>
    s
      ? `<tr><td>${name}</td><td>${s.count}</td><td>${pct(s.identified / Math.max(1, s.count))}${s.identifiedRight === null ? '' : ` (right ${pct(s.identifiedRight / Math.max(1, s.count))})`}</td><td>${pct(s.uncertain / Math.max(1, s.count))}</td><td>${pct(s.notRecognized / Math.max(1, s.count))}</td></tr>`
      : '';
  const fusion = o.fusion
    .map(
      (f) =>
        `<tr><td>${f.photos}</td><td>${f.groups}</td><td>${f.top1 === null ? '—' : pct(f.top1)}</td><td>${f.identifiedRight === null ? '—' : pct(f.identifiedRight)}</td><td>${f.negativesNotIdentified === null ? '—' : pct(f.negativesNotIdentified)}</td></tr>`,
    )
    .join('');
  return `<p>Score <b>${esc(o.score)}</b> (${esc(o.choice.reason)}); not_recognized below <b>${num(o.thresholds.open, 4)}</b>, identified from top-1 confidence <b>${num(o.thresholds.confidence, 4)}</b> (val keeps ${pct(o.rule.valKeepsOpen)} / ${pct(o.rule.valKeepsConfidence)}, chosen with ${esc(o.rule.chosenWith)}).</p>
${o.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('')}
<table class="compare"><tr><th>score</th><th>val AUROC / FPR@95</th><th>test AUROC / FPR@95</th><th>note</th></tr>${candidates}</table>
<h3>Answer status</h3>
<table class="compare"><tr><th>photos</th><th>n</th><th>identified</th><th>uncertain</th><th>not_recognized</th></tr>${status('test', o.statuses.test)}${status('val', o.statuses.val)}${status('negatives (test groups)', o.statuses.negativesTest)}${status('negatives (val groups)', o.statuses.negativesVal)}</table>
<h3>Several photos of one class (test, fused)</h3>
<table class="compare"><tr><th>photos</th><th>groups</th><th>top-1</th><th>identified &amp; right</th><th>negative groups not identified</th></tr>${fusion}</table>
${chart ? `<div class="chart">${chart}</div>` : ''}`;
}

function previousBlock(previous: PreviousComparison | null): string {
  if (!previous)
    return '<p class="muted">No previous run of this config with an evaluation to compare against.</p>';
  const rows = previous.rows
    .map((r) => {
      const delta = r.previous === null ? null : r.now - r.previous;
      const better = delta === null || delta === 0 ? '' : delta > 0 === r.higherIsBetter ? 'up' : 'down';
      const asPercent = r.name !== 'ECE' && r.name !== 'log loss';
      return `<tr><td>${esc(r.name)}</td><td>${r.previous === null ? '—' : asPercent ? pct(r.previous) : num(r.previous, 4)}</td><td>${asPercent ? pct(r.now) : num(r.now, 4)}</td><td class="${better}">${delta === null ? '' : signed(delta, asPercent)}</td></tr>`;
    })
    .join('');
  const classes = previous.classRecall
    .map((c) => {
      const d = c.now - c.previous;
      return `<tr><td>${esc(c.name)}</td><td>${pct(c.previous)}</td><td>${pct(c.now)}</td><td class="${d > 0 ? 'up' : 'down'}">${signed(d, true)}</td></tr>`;
    })
    .join('');
  return `<p>Against run <code>${esc(previous.runId)}</code>${previous.sameConfig ? '' : ' (config file edited since)'}.</p>
<table class="compare"><tr><th>figure</th><th>previous</th><th>now</th><th>change</th></tr>${rows}</table>
${classes ? `<h3>Largest changes in class recall</h3><table class="compare"><tr><th>class</th><th>previous</th><th>now</th><th>change</th></tr>${classes}</table>` : ''}`;
}

function classTable(test: SplitMetrics, val: SplitMetrics): string {
  const rows = test.perClass
    .map((c) => {
      const v = val.perClass[c.index];
      return `<tr><td>${esc(c.name)}</td><td data-v="${c.precision}">${num(c.precision)}</td><td data-v="${c.recall}">${num(c.recall)}</td><td data-v="${c.f1}">${num(c.f1)}</td><td data-v="${c.support}">${c.support}</td><td data-v="${v?.recall ?? 0}">${v ? num(v.recall) : '—'}</td></tr>`;
    })
    .join('');
  const avg = (label: string, m: { precision: number; recall: number; f1: number }) =>
    `<tr class="avg"><td>${label}</td><td>${num(m.precision)}</td><td>${num(m.recall)}</td><td>${num(m.f1)}</td><td>${test.count}</td><td></td></tr>`;
  return `<table id="per-class" class="sortable"><thead><tr><th data-type="text">class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>val recall</th></tr></thead><tbody>${rows}</tbody><tfoot>${avg('macro avg', test.macro)}${avg('weighted avg', test.weighted)}</tfoot></table>`;
}

function confusedTable(test: SplitMetrics): string {
  if (test.mostConfused.length === 0) return '<p>No confusions on the test split.</p>';
  return `<table class="confused"><tr><th>true class</th><th>predicted as</th><th>images</th></tr>${test.mostConfused
    .slice(0, 15)
    .map((p) => `<tr><td>${esc(p.actual)}</td><td>${esc(p.predicted)}</td><td>${p.count}</td></tr>`)
    .join('')}</table>`;
}

function gallery(input: ReportInput): string {
  if (input.gallery.length === 0) return '<p>No misclassified test images.</p>';
  const more =
    input.misclassifiedTotal > input.gallery.length
      ? `<p class="muted">Showing the ${input.gallery.length} highest-loss of ${input.misclassifiedTotal} misclassified test images.</p>`
      : '';
  return `${more}<div class="gallery">${input.gallery
    .map(
      (g) =>
        `<figure class="miss" title="${esc(g.path)}"><img src="${g.thumbnail}" alt="${esc(g.path)}" width="128" height="128"><figcaption><div><b>pred</b> ${esc(g.predicted)} <span>${pct(g.confidence)}</span></div><div><b>true</b> ${esc(g.actual)} <span>${pct(g.trueProbability)}</span></div><div class="muted">loss ${num(g.loss, 2)}</div></figcaption></figure>`,
    )
    .join('')}</div>`;
}

function leakageBlock(input: ReportInput): string {
  return `<p>Checked ${input.leakage.checked} test images against the training split: no exact copy and no near duplicate (perceptual hash within Hamming distance ${input.leakage.radius}, confirmed by fine detail, the dataset stage's rule).</p>`;
}

const css = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1180px;padding:24px;color:#1d2733}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 10px;border-bottom:1px solid #e3e7ec;padding-bottom:4px}h3{font-size:14px}
.muted{color:#6b7785}.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#f4f6f9;border-radius:8px;padding:10px 14px;min-width:110px}
.card .v{font-size:20px;font-weight:600}.card .k{color:#6b7785;font-size:12px}
table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;border-bottom:1px solid #eef0f3;text-align:right}td:first-child,th:first-child{text-align:left}
th{background:#f4f6f9;font-weight:600}table.sortable th{cursor:pointer;user-select:none}table.sortable th[aria-sort=ascending]::after{content:' ▲'}table.sortable th[aria-sort=descending]::after{content:' ▼'}
tr.avg td{font-weight:600;background:#fafbfc}.up{color:#17803d}.down{color:#b42318}
.gate{border-radius:8px;padding:10px 14px;margin:12px 0}.gate.pass{background:#e8f6ec}.gate.fail{background:#fdecea}.gate.none{background:#f4f6f9}
tr.bad td{color:#b42318;font-weight:600}.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}.chart{overflow-x:auto;max-width:100%}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}.miss{margin:0;background:#f4f6f9;border-radius:8px;padding:8px;font-size:12px}
.miss img{display:block;width:128px;height:128px;object-fit:cover;border-radius:4px;margin:0 auto 6px}.miss span{color:#6b7785}code{background:#f4f6f9;padding:1px 4px;border-radius:3px}`;

// Click a header to sort by it; numbers sort by their data-v value.
const sortScript = `document.querySelectorAll('table.sortable').forEach(function(table){
  var heads=table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads,function(th,col){th.addEventListener('click',function(){
    var asc=th.getAttribute('aria-sort')!=='ascending';
    Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort')});
    th.setAttribute('aria-sort',asc?'ascending':'descending');
    var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);var text=th.dataset.type==='text';
    rows.sort(function(a,b){var x=a.cells[col],y=b.cells[col];
      var r=text?x.textContent.localeCompare(y.textContent):(parseFloat(x.dataset.v)-parseFloat(y.dataset.v));
      return asc?r:-r;});
    rows.forEach(function(r){body.appendChild(r)});
  });});
});`;

/** The self-contained evaluation report: inline CSS, SVG charts, data-URI thumbnails, one small script. */
export function renderReportHtml(input: ReportInput): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(input.title)}</title><style>${css}</style></head>
<body>
<h1>${esc(input.title)}</h1>
<p class="muted">run <code>${esc(input.runId)}</code> · ${esc(input.created)} · ${esc(input.engine)}</p>
${gateBlock(input)}
${figures(input)}
<h2>"Not sure" and "not a plant I know" (open set)</h2>
<section id="openset">${openSetBlock(input.openSet, input.openSetChart)}</section>
<h2>Change against the previous run</h2>
<section id="previous">${previousBlock(input.previous)}</section>
<h2>Confusion matrix (test)</h2>
<div class="chart" id="chart-confusion" data-chart="confusion">${input.charts.confusion}</div>
<h3>Most confused</h3>
${confusedTable(input.test)}
<h2>Per class</h2>
<p class="muted">Click a column to sort.</p>
<div class="charts"><div>${classTable(input.test, input.val)}</div>
<div class="chart" id="chart-per-class" data-chart="per-class">${input.charts.perClass}</div></div>
<h2>Calibration</h2>
<p>Expected calibration error (${input.test.reliability.length} bins) on test: ${num(input.test.ece)} as trained, ${num(input.test.eceCalibrated)} after temperature scaling (T = ${num(input.temperature, 3)}, fitted on the ${input.val.count} validation images). Served confidences use T.</p>
<div class="chart" id="chart-reliability" data-chart="reliability">${input.charts.reliability}</div>
<h2>Misclassified test images, highest loss first</h2>
<section id="gallery">${gallery(input)}</section>
<h2>Leakage check</h2>
${leakageBlock(input)}
<script>${sortScript}</script>
</body></html>
`;
}

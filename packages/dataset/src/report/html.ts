export interface ReportView {
  // biome-ignore lint/suspicious/noExplicitAny: the report.json object, rendered as-is
  report: any;
  charts: { id: string; title: string; svg: string }[];
  perClass: { label: string; files: string[] }[];
  groups: {
    group: number;
    conflict: boolean;
    members: { path: string; file: string; label: string; split: string | null }[];
  }[];
  flagged: { path: string; file: string; label: string; flags: string[]; reasons: string[] }[];
  flaggedTotal: number;
  thumbs: Map<string, string | null>;
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function thumb(view: ReportView, file: string, caption: string): string {
  const uri = view.thumbs.get(file);
  const img = uri
    ? `<img src="${uri}" alt="${esc(caption)}" loading="eager">`
    : '<div class="noimg">cannot decode</div>';
  return `<figure class="thumb">${img}<figcaption title="${esc(file)}">${esc(caption)}</figcaption></figure>`;
}

/** A self-contained page: inline CSS, inline SVG charts, thumbnails as data URIs, no script, works offline. */
export function renderHtml(view: ReportView): string {
  const r = view.report;
  const leak = r.leakage;
  const cards = [
    ['images', r.totals.files],
    ['usable', r.totals.usable],
    ['excluded', r.totals.excluded],
    ['classes', r.totals.classes],
    ['exact dup. pairs', r.duplicates.exactPairs],
    ['near dup. pairs', r.duplicates.nearPairs],
    ['label conflicts', r.duplicates.labelConflicts.length],
    ['cross-split dup. pairs', leak.crossSplitDuplicatePairs],
    ['imbalance ratio', r.imbalanceRatio ?? '–'],
  ]
    .map(([k, v]) => `<div class="card"><div class="v">${esc(v)}</div><div class="k">${esc(k)}</div></div>`)
    .join('');
  const warnings = r.warnings.length
    ? `<section><h2>Warnings (${r.warnings.length})</h2><ul class="warn">${r.warnings.map((w: { where: string; message: string }) => `<li><code>${esc(w.where)}</code>: ${esc(w.message)}</li>`).join('')}</ul></section>`
    : '';
  const classRows = r.classes
    .map(
      (c: {
        label: string;
        labelId: string;
        total: number;
        usable: number;
        perSplit: Record<string, number>;
      }) =>
        `<tr><td>${esc(c.label)}</td><td><code>${esc(c.labelId)}</code></td><td>${c.total}</td><td>${c.usable}</td><td>${c.perSplit.train}</td><td>${c.perSplit.val}</td><td>${c.perSplit.test}</td><td>${r.classWeights[c.labelId]}</td></tr>`,
    )
    .join('');
  const charts = view.charts
    .map((c) => `<figure class="chart" id="${c.id}" data-chart="${c.id}">${c.svg}</figure>`)
    .join('');
  const grids = view.perClass
    .map(
      (c) =>
        `<div class="grid-row"><h3>${esc(c.label)}</h3><div class="thumbs">${c.files.map((f) => thumb(view, f, f.split('/').pop()!)).join('')}</div></div>`,
    )
    .join('');
  const groups = view.groups
    .map(
      (g) =>
        `<div class="group${g.conflict ? ' conflict' : ''}"><h3>Group ${g.group}${g.conflict ? ' — label conflict' : ''}</h3><div class="thumbs">${g.members
          .slice(0, 8)
          .map((m) => thumb(view, m.file, `${m.path} · ${m.split ?? 'excluded'}`))
          .join(
            '',
          )}${g.members.length > 8 ? `<div class="more">+${g.members.length - 8} more</div>` : ''}</div></div>`,
    )
    .join('');
  const flagged = view.flagged
    .map(
      (f) =>
        `<div class="flagged">${thumb(view, f.file, f.path)}<ul>${f.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></div>`,
    )
    .join('');
  const blur = r.blur;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>plantid dataset report</title>
<style>
body{font:14px/1.45 system-ui,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#222}
h1{margin:.2em 0}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.6em}h3{margin:.6em 0 .3em;font-size:14px}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.card .v{font-size:22px;font-weight:600}.card .k{color:#666;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0}
.thumbs{display:flex;flex-wrap:wrap;gap:6px}.thumb{margin:0;width:118px}.thumb img{max-width:112px;max-height:112px;display:block;border:1px solid #ccc}
.thumb figcaption{font-size:10px;color:#555;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.noimg{width:112px;height:80px;background:#f3d6d6;color:#900;font-size:11px;display:flex;align-items:center;justify-content:center}
.group{border:1px solid #ddd;border-radius:6px;padding:4px 10px;margin:8px 0}.group.conflict{border-color:#e45756;background:#fff5f5}
.flagged{display:flex;gap:10px;align-items:flex-start;border-bottom:1px solid #eee;padding:6px 0}.flagged ul{margin:0;padding-left:18px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}.warn li{margin:2px 0}.more{align-self:center;color:#666}
code{font-size:12px}
</style></head><body>
<h1>Dataset report</h1>
<p>${r.sources.map((s: { name: string; root: string; license: string | null; images: number }) => `<b>${esc(s.name)}</b> (${s.images} files, licence ${esc(s.license ?? 'not given')}) <code>${esc(s.root)}</code>`).join('<br>')}</p>
<div class="cards">${cards}</div>
${warnings}
<section><h2>Charts</h2><div class="charts">${charts}</div>
<p>Blur threshold: ${esc(blur.rule)}.</p></section>
<section><h2>Split and leakage</h2>
<p>Near-duplicate groups and look-alike consecutive shots never span two splits. Cross-split duplicate pairs: <b>${leak.crossSplitDuplicatePairs}</b>; cross-split consecutive shots: <b>${leak.crossSplitSequencePairs}</b>. A plain random split with the same seed would have had ${leak.naiveSplit.crossSplitDuplicatePairs} and ${leak.naiveSplit.crossSplitSequencePairs}.</p>
${
  leak.fromManifestSplits.length
    ? `<p class="conflict">The manifest's split column puts ${leak.fromManifestSplits.length} duplicate pair(s) in different splits: ${leak.fromManifestSplits
        .slice(0, 20)
        .map(
          (x: { a: string; b: string; splits: string[] }) =>
            `<code>${esc(x.a)}</code> (${x.splits[0]}) ~ <code>${esc(x.b)}</code> (${x.splits[1]})`,
        )
        .join(', ')}</p>`
    : ''
}
<p>Consecutive shots: median pHash distance ${esc(r.sequence.adjacentMedian ?? '–')} between neighbours vs ${esc(r.sequence.randomMedian ?? '–')} for random same-class pairs; ${r.sequence.linkedPairs} look-alike neighbours kept together.</p>
<table><thead><tr><th>class</th><th>id</th><th>files</th><th>usable</th><th>train</th><th>val</th><th>test</th><th>weight</th></tr></thead><tbody>${classRows}</tbody></table></section>
<section><h2>Duplicate groups (${r.duplicates.groups.length}; ${r.duplicates.labelConflicts.length} with a label conflict)</h2>${groups || '<p>None.</p>'}</section>
<section><h2>Flagged images (${view.flaggedTotal} left out of training${view.flaggedTotal > view.flagged.length ? `; ${view.flagged.length} shown, exact copies and the rest in report.json` : ''})</h2>${flagged || '<p>None.</p>'}</section>
<section><h2>Samples per class</h2>${grids}</section>
</body></html>
`;
}

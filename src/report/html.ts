/**
 * The HTML report page (issue 7): one self-contained file — inline CSS, every picture a data: URI
 * (SVG or PNG), no external resource, one small inline script. The script records every error
 * (script errors, failed images, console.error) and, once the page has loaded, checks that every
 * section rendered (each <img> decoded, each section non-empty); it writes the verdict into
 * `<body data-report-status="ok|error">` and the list into #report-check, so a headless browser
 * (`chromium --dump-dom`) can verify the page without a test framework.
 */
import type { BenchResult } from '../bench/types.js';
import type { NamedChart } from '../bench/output.js';
import type { ClaimOutcome, ElboInfo, Figure, PropertyResults, RunInfo } from './sections.js';

export interface Placeholder {
  placeholder: string;
}

export interface ReportData {
  generated: string;
  /** One line: where it was generated (machine, backend). */
  context: string;
  schedules: Figure[];
  elbo: ElboInfo | Placeholder;
  properties: PropertyResults | Placeholder;
  samplers: Figure[] | Placeholder;
  /** U-Net sample grids per sampler from the golden model (may be empty). */
  goldenGrids?: Figure[];
  run: RunInfo | Placeholder;
  bench: { path: string; result: BenchResult; charts: NamedChart[]; headline: string } | Placeholder;
}

export const SECTION_IDS = ['schedules', 'elbo', 'properties', 'samplers', 'training', 'bench'] as const;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function dataUri(f: Figure): string {
  if (f.png) return `data:image/png;base64,${Buffer.from(f.png).toString('base64')}`;
  if (f.svg) return `data:image/svg+xml;base64,${Buffer.from(f.svg, 'utf8').toString('base64')}`;
  throw new Error(`figure '${f.caption}' has neither svg nor png`);
}

function figure(f: Figure, cls = ''): string {
  return `<figure${cls ? ` class="${cls}"` : ''}><img src="${dataUri(f)}" alt="${esc(f.caption)}"><figcaption>${esc(f.caption)}</figcaption></figure>`;
}

function placeholder(p: Placeholder): string {
  return `<p class="placeholder">${esc(p.placeholder)}</p>`;
}

function isPlaceholder(x: unknown): x is Placeholder {
  return typeof x === 'object' && x !== null && 'placeholder' in x;
}

/** A markdown pipe table (as written by src/bench/output.ts) as an HTML table. */
export function markdownTableToHtml(md: string): string {
  const lines = md.split('\n').filter((l) => l.trim().startsWith('|'));
  const cells = (l: string) => l.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  if (lines.length < 2) return '';
  const head = cells(lines[0]);
  const body = lines.slice(2).map(cells);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function sci(v: number | undefined): string {
  return v === undefined ? '—' : v === 0 ? '0' : v.toExponential(2);
}

function propertiesTable(p: PropertyResults): string {
  const n = (s: ClaimOutcome['status']) => p.outcomes.filter((o) => o.status === s).length;
  const rows = p.outcomes.map(
    (o) =>
      `<tr class="${o.status === 'pass' ? 'pass' : o.status === 'fail' ? 'fail' : 'na'}"><td><code>${esc(o.id)}</code></td><td>${esc(o.title)}</td><td>${esc(o.catalog)}</td><td>${o.status}</td><td>${sci(o.worstError)}</td><td>${sci(o.bound)}</td><td>${o.worstError !== undefined && o.bound ? (o.worstError / o.bound).toFixed(3) : '—'}</td><td>${esc(o.message ?? o.note ?? '')}</td><td>${o.seconds.toFixed(1)}</td></tr>`,
  );
  return (
    `<p>${esc(p.implementation)}, run ${esc(p.date.slice(0, 19))}Z: <strong>${n('pass')} passed</strong>, <strong>${n('fail')} failed</strong>, ${n('not applicable')} not applicable. ` +
    `"worst / bound" is the largest observed error as a fraction of its bound (≤ 1 passes); statistical claims compare a test statistic with the critical value of their documented false-alarm rate.</p>` +
    `<table class="props"><thead><tr><th>claim</th><th>what is claimed</th><th>catalog</th><th>result</th><th>worst error</th><th>bound</th><th>worst / bound</th><th>note</th><th>s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1rem 2rem;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
nav a{margin-right:1rem}
.figs{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;max-width:100%}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.8rem;color:#555;max-width:640px}
.small figure{width:270px}
.charts figure{max-width:calc(50% - .5rem)}
table{border-collapse:collapse;font-size:.82rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.2rem .4rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}
tr.pass td:nth-child(4){color:#1a7f37;font-weight:600}tr.fail td:nth-child(4){color:#cf222e;font-weight:600}tr.na td{color:#888}
.placeholder{background:#fff8e1;border:1px solid #e0c060;padding:.6rem;border-radius:4px}
#report-check{color:#cf222e;white-space:pre-wrap}
code{font-size:.8rem}
.scroll{overflow-x:auto;max-width:100%}
`;

const CHECK_SCRIPT = `
(function(){
  var errors=[];
  function rec(m){errors.push(String(m));}
  window.addEventListener('error',function(e){
    if(e.target&&e.target!==window&&e.target.tagName){rec('resource failed to load: <'+e.target.tagName.toLowerCase()+'> '+(e.target.alt||''));}
    else{rec('script error: '+e.message);}
  },true);
  var ce=console.error;console.error=function(){rec('console.error: '+Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};
  window.addEventListener('load',function(){
    var secs=document.querySelectorAll('section[data-section]');var ok=0;
    for(var i=0;i<secs.length;i++){
      var s=secs[i];var bad=false;var imgs=s.querySelectorAll('img');
      for(var j=0;j<imgs.length;j++){if(!imgs[j].complete||imgs[j].naturalWidth===0){bad=true;rec(s.getAttribute('data-section')+': image did not render: '+imgs[j].alt);}}
      if(!s.querySelector('img,table,.placeholder')){bad=true;rec(s.getAttribute('data-section')+': section is empty');}
      if(!bad){ok++;s.setAttribute('data-rendered','yes');}
    }
    document.getElementById('report-check').textContent=errors.join('\\n');
    document.body.setAttribute('data-sections-rendered',String(ok));
    document.body.setAttribute('data-report-status',errors.length?'error':'ok');
  });
})();
`;

/** The report page as one HTML string. */
export function renderReportHtml(d: ReportData): string {
  const sec = (id: (typeof SECTION_IDS)[number], title: string, body: string) => `<section id="${id}" data-section="${id}"><h2>${esc(title)}</h2>${body}</section>`;
  const parts: string[] = [];
  parts.push(
    sec(
      'schedules',
      'Noise schedules (T = 1000, float64 reference)',
      `<p>Linear (Ho et al. 2020: β from 10⁻⁴ to 0.02) and cosine (Nichol &amp; Dhariwal 2021, s = 0.008) schedules from <code>src/reference/schedules.ts</code>.</p><div class="figs">${d.schedules.map((f) => figure(f)).join('')}</div>`,
    ),
  );
  let elbo: string;
  if (isPlaceholder(d.elbo)) elbo = placeholder(d.elbo);
  else {
    const e = d.elbo;
    elbo =
      `<p>Model <code>${esc(e.checkpoint)}</code> (step ${e.step}), ${esc(e.data)}${e.conditional ? ', conditioned on their true labels (bits/dim of p(x | y))' : ''}. Prior term L_T = KL(q(x_T|x_0) ‖ N(0, I)): ${e.prior.toExponential(3)} bits/dim. ` +
      `Negative ELBO: <strong>${e.total.toFixed(3)} bits/dim</strong> (${esc(e.totalEstimator)}).</p>` +
      `<div class="figs">${figure(e.figure)}</div>` +
      `<div class="scroll"><table><thead><tr><th>t</th>${e.ts.map((t) => `<th>${t}</th>`).join('')}</tr></thead><tbody><tr><td>bits/dim</td>${e.bpd.map((v) => `<td>${v.toExponential(2)}</td>`).join('')}</tr></tbody></table></div>`;
  }
  parts.push(sec('elbo', 'ELBO terms per t of the golden model', elbo));
  parts.push(sec('properties', 'Property suite on the float64 reference', isPlaceholder(d.properties) ? placeholder(d.properties) : propertiesTable(d.properties)));
  parts.push(
    sec(
      'samplers',
      'Samples per sampler',
      (isPlaceholder(d.samplers)
        ? placeholder(d.samplers)
        : `<p>Each sampler of the registry run from the exact p_{t₀} with the exact Gaussian-mixture oracle (the cases of claim 8, which the property suite checks with KS tests): sampler output in blue over exact samples of the target p_{t_end} in orange (first two coordinates). Blue and orange clouds of the same shape are what claim 8 tests.</p><div class="figs small">${d.samplers.map((f) => figure(f)).join('')}</div>`) +
        (d.goldenGrids?.length ? `<h3>Golden U-Net samples per sampler</h3><div class="figs">${d.goldenGrids.map((f) => figure(f)).join('')}</div>` : '') +
        (isPlaceholder(d.run) ? '' : d.run.sampleFigure ? `<h3>U-Net samples of the run</h3><div class="figs">${figure(d.run.sampleFigure)}</div>` : ''),
    ),
  );
  parts.push(
    sec(
      'training',
      'Training loss',
      isPlaceholder(d.run)
        ? placeholder(d.run)
        : `<p>Run <code>${esc(d.run.dir)}</code>, checkpoint <code>${esc(d.run.checkpoint)}</code> (step ${d.run.step}).</p>${d.run.lossFigure ? `<div class="figs">${figure(d.run.lossFigure)}</div>` : '<p class="placeholder">The checkpoint records no losses.</p>'}`,
    ),
  );
  let bench: string;
  if (isPlaceholder(d.bench)) bench = placeholder(d.bench);
  else {
    const b = d.bench;
    const m = b.result.machine;
    bench =
      `<p>From <code>${esc(b.path)}</code> (${esc(b.result.date.slice(0, 19))}Z${b.result.quick ? ', quick mode: not for quoting' : ''}): ${esc(m.cpuModel)}, ${m.cores} cores, load average ${m.loadStart.join(' / ')} at the start. ` +
      (b.result.peak ? `Peak FP32 ${b.result.peak.gflops.toFixed(1)} GFLOP/s (${esc(b.result.peak.source)}). ` : '') +
      `Medians of repeated runs after warm-up; details in the markdown file next to the JSON.</p>` +
      markdownTableToHtml(b.headline) +
      `<div class="figs charts">${b.charts.map((c) => figure({ caption: c.title, svg: c.svg })).join('')}</div>`;
  }
  parts.push(sec('bench', 'Benchmarks', bench));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>diffusion-oracle report</title>
<style>${CSS}</style>
<script>${CHECK_SCRIPT}</script>
</head>
<body data-report-status="pending">
<h1>diffusion-oracle report</h1>
<p>Generated ${esc(d.generated)}. ${esc(d.context)}</p>
<nav>${SECTION_IDS.map((id) => `<a href="#${id}">${id}</a>`).join('')}</nav>
<pre id="report-check"></pre>
${parts.join('\n')}
</body>
</html>
`;
}

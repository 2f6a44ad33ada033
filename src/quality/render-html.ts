import { evidenceLines, measuredText, VERDICT_TEXT } from './render-text.js';
import type { Assessment, QualityReport } from './types.js';

/**
 * The report as one self-contained HTML page (inline style, no script, no external resource), for
 * a contracting officer to open or print: a summary table first, then each deliverable's details.
 * Every text goes through `esc`, so nothing from the plan or the records can become markup.
 */
export function renderHtml(report: QualityReport): string {
  const { summary } = report;
  const rows = report.deliverables
    .map(
      (d) =>
        `<tr><td>${esc(d.name)}<br><small>${esc(d.id)}</small></td><td>${esc(d.standard)}</td><td>${esc(d.aql)}</td><td>${esc(d.method)}</td><td>${esc(measuredText(d))}</td><td>${verdict(d)}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quality report: ${esc(report.service)}, ${esc(report.period.label)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
.pass { color: #0a6b2d; font-weight: bold; } .fail { color: #b00020; font-weight: bold; } .nodata { color: #8a5a00; font-weight: bold; }
dt { font-weight: bold; } dd { margin: 0 0 .3rem 1.5rem; word-break: break-all; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>Quality report: ${esc(report.service)}, ${esc(report.period.label)}</h1>
<p>Period ${esc(report.period.from)} to ${esc(report.period.to)} (end excluded). Generated ${esc(report.generatedAt)}.<br>
Plan: the flowline.yaml sealed in artifact <code>${esc(report.plan.artifactId)}</code> (run ${esc(report.plan.runId)}); measurements from the latest ${esc(report.plan.trunk ?? '')} run of the period that took them.</p>
<p><strong>${summary.pass} pass, ${summary.fail} fail, ${summary['no data']} no data</strong> of ${report.deliverables.length} deliverables.</p>
<table>
<thead><tr><th>Deliverable</th><th>Performance standard</th><th>AQL</th><th>Method</th><th>Measured</th><th>Result</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Details</h2>
${report.deliverables.map(details).join('\n')}
</body>
</html>
`;
}

function details(d: Assessment): string {
  const conditions = d.conditions
    .map((c) => `<li>${esc(c.text)}: ${c.met === null ? 'not measured' : c.met ? 'met' : 'not met'}</li>`)
    .join('');
  const evidence = evidenceLines(d.evidence)
    .map(([label, value]) => `<dt>${esc(label)}</dt><dd>${esc(value)}</dd>`)
    .join('');
  const reason =
    d.reason === null
      ? ''
      : `<p>${d.error === null ? 'Note' : `Error <code>${esc(d.error.code)}</code>`}: ${esc(d.reason)}</p>`;
  return `<section>
<h3>${esc(d.name)} (${esc(d.id)}): ${verdict(d)}</h3>
<p><strong>Performance standard:</strong> ${esc(d.standard)}<br>
<strong>Acceptable quality level:</strong> ${esc(d.aql)}<br>
<strong>Method of assessment:</strong> ${esc(d.method)}, ${esc(d.methodDetail)}<br>
<strong>Measured:</strong> ${esc(measuredText(d))}</p>
${conditions === '' ? '' : `<ul>${conditions}</ul>`}
${reason}
<dl>${evidence === '' ? '<dt>Evidence</dt><dd>none</dd>' : evidence}</dl>
</section>`;
}

function verdict(d: Assessment): string {
  const css = d.verdict === 'no data' ? 'nodata' : d.verdict;
  return `<span class="${css}">${VERDICT_TEXT[d.verdict]}</span>`;
}

/** Text as HTML text or attribute value. */
function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

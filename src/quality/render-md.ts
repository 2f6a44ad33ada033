import { evidenceLines, measuredText, VERDICT_TEXT } from './render-text.js';
import type { QualityReport } from './types.js';

/**
 * The report as Markdown: a summary table first, then one section per deliverable. Every text from
 * the plan or the records is escaped: Markdown renderers pass inline HTML through, so a
 * deliverable named `<script>` must arrive as text.
 */
export function renderMarkdown(report: QualityReport): string {
  const out: string[] = [];
  const { summary } = report;
  out.push(`# Quality report: ${md(report.service)}, ${md(report.period.label)}`, '');
  out.push(
    `Period ${report.period.from} to ${report.period.to} (end excluded). Generated ${report.generatedAt}.`,
    `Plan: the flowline.yaml sealed in artifact \`${report.plan.artifactId}\` (run ${md(report.plan.runId)}); measurements from the latest ${report.plan.trunk === null ? '' : `${md(report.plan.trunk)} `}run of the period that took them.`,
    '',
    `**${summary.pass} pass, ${summary.fail} fail, ${summary['no data']} no data** of ${report.deliverables.length} deliverables.`,
    '',
    '| Deliverable | Performance standard | AQL | Method | Measured | Result |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const d of report.deliverables) {
    out.push(
      `| ${md(d.name)} (${md(d.id)}) | ${md(d.standard)} | ${md(d.aql)} | ${md(d.method)} | ${md(measuredText(d))} | **${VERDICT_TEXT[d.verdict]}** |`,
    );
  }
  out.push('', '## Details', '');
  for (const d of report.deliverables) {
    out.push(`### ${md(d.name)} (${md(d.id)}): ${VERDICT_TEXT[d.verdict]}`, '');
    out.push(`- Performance standard: ${md(d.standard)}`);
    out.push(`- Acceptable quality level: ${md(d.aql)}`);
    out.push(`- Method of assessment: ${md(d.method)}, ${md(d.methodDetail)}`);
    out.push(`- Measured: ${md(measuredText(d))}`);
    for (const c of d.conditions) {
      out.push(`  - ${md(c.text)}: ${c.met === null ? 'not measured' : c.met ? 'met' : 'not met'}`);
    }
    if (d.reason !== null)
      out.push(`- ${d.error === null ? 'Note' : `Error ${d.error.code}`}: ${md(d.reason)}`);
    const evidence = evidenceLines(d.evidence);
    if (evidence.length === 0) out.push('- Evidence: none');
    else {
      out.push('- Evidence:');
      for (const [label, value] of evidence) out.push(`  - ${md(label)}: ${md(value)}`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/** Text safe in a Markdown table cell or line: no HTML, no table breaks, no markup. */
function md(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|#]/g, (ch) => `\\${ch}`)
    .replace(/\s*[\r\n]+\s*/g, ' ');
}

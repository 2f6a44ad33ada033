import { describe, expect, it } from 'vitest';
import { renderHtml } from './render-html.js';
import { renderMarkdown } from './render-md.js';
import type { Assessment, QualityReport } from './types.js';

const hostile = '<script>alert("x")</script> & | **bold**';

const assessment: Assessment = {
  id: 'cov',
  name: `Coverage ${hostile}`,
  standard: 'Tested\n| injected | row |',
  aql: 'lines >= 80%',
  method: 'coverage',
  methodDetail: 'lcov report coverage/lcov.info written by stage unit',
  verdict: 'fail',
  measured: { lines: 62.5 },
  conditions: [{ text: 'lines >= 80%', metric: 'lines', op: '>=', value: 80, measured: 62.5, met: false }],
  reason: null,
  error: null,
  evidence: {
    runId: 'run_1',
    artifactId: 'sha256:ab',
    file: '<img src=x onerror=alert(1)>.info',
    sha256: 'f'.repeat(64),
  },
};
const report: QualityReport = {
  service: 'shop',
  period: { label: '2026-11', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
  generatedAt: '2026-12-01T09:00:00.000Z',
  plan: { artifactId: 'sha256:ab', runId: 'run_1', trunk: 'main' },
  summary: { pass: 0, fail: 1, 'no data': 0 },
  deliverables: [assessment],
};

describe('the report a contracting officer reads', () => {
  it('escapes every text of the plan and the records in HTML', () => {
    const html = renderHtml(report);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('Coverage &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; | **bold**');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.info');
    // Self-contained: no script, no external resource.
    expect(html).not.toMatch(/<script|<link|src=["']?http|@import/i);
  });

  it('puts the summary table before the details, in both formats', () => {
    const html = renderHtml(report);
    expect(html.indexOf('<table>')).toBeLessThan(html.indexOf('<h2>Details</h2>'));
    const md = renderMarkdown(report);
    expect(md.indexOf('| Deliverable |')).toBeLessThan(md.indexOf('## Details'));
    expect(md).toContain('lines 62.5%');
    expect(md).toContain('**FAIL**');
  });

  it('escapes Markdown so a name can neither inject HTML nor break the table', () => {
    const md = renderMarkdown(report);
    expect(md).not.toContain('<script>');
    expect(md).toContain('Coverage &lt;script&gt;alert("x")&lt;/script&gt; &amp; \\| \\*\\*bold\\*\\*');
    // The standard's newline and pipes stay inside its cell: the row has exactly 7 unescaped pipes.
    const row = md.split('\n').find((line) => line.startsWith('| Coverage')) ?? '';
    expect(row.replace(/\\\|/g, '').split('|').length - 1).toBe(7);
  });
});

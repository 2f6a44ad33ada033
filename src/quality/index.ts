/**
 * The quality plan (QASP) assessed automatically: the runner measures the deliverables from the
 * reports its stages write (measure.ts, parse/), the store keeps the measurements and the
 * sign-offs of manual deliverables (records.ts), and `flowline report` assesses them for a period
 * (report.ts, assess.ts) and writes the report a contracting officer reads (render-*.ts).
 */
export { type AssessInput, assess, type MeasuredRun, methodDetail } from './assess.js';
export { MAX_REPORT_BYTES, measureDocumentation, measureStage } from './measure.js';
export { PARSERS } from './parse/index.js';
export { checkMonth, type Period, parsePeriod } from './period.js';
export { createQualityRecords, type QualityRecords, type QualityRecordsDeps } from './records.js';
export { renderHtml } from './render-html.js';
export { renderMarkdown } from './render-md.js';
export {
  createQualityReports,
  DORA_NOT_WIRED,
  type QualityReports,
  type QualityReportsDeps,
} from './report.js';
export type * from './types.js';

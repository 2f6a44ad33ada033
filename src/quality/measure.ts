import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Deliverable, QualityPlan } from '../config/index.js';
import { PARSERS } from './parse/index.js';
import type { Measurement, MeasurementError } from './types.js';

/**
 * The runner's side of the quality plan: after a stage finishes, the report files the plan names
 * for it are read, hashed and parsed here, on the machine that has the repository (the server may
 * not). A missing or malformed report becomes a failed measurement with a coded error naming the
 * file — never an exception: measuring must not break the run it measures.
 */

/** Methods measured from a stage's report file (or, for lint without one, its exit code). */
const STAGE_METHODS = new Set(['coverage', 'lint', 'vulnerabilities', 'accessibility']);

/** Reports larger than this are refused rather than read into memory. */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** The deliverables measured when `stage` ends, whatever its outcome (a failing test run still writes coverage). */
export async function measureStage(
  plan: QualityPlan,
  stage: { readonly name: string; readonly exitCode: number | null },
  cwd: string,
): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (const deliverable of plan.deliverables) {
    if (!STAGE_METHODS.has(deliverable.method) || deliverable.stage !== stage.name) continue;
    if (deliverable.report === undefined) {
      // Lint judged by its stage's exit code; a stage killed by a signal has none to judge by.
      if (stage.exitCode !== null) measurements.push(base(deliverable, { exitCode: stage.exitCode }));
      continue;
    }
    measurements.push(await measureReport(deliverable, deliverable.report, cwd));
  }
  return measurements;
}

/** The documentation deliverables, checked in the repository at the end of the run. */
export async function measureDocumentation(plan: QualityPlan, cwd: string): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (const deliverable of plan.deliverables) {
    if (deliverable.method !== 'documentation') continue;
    const files: Record<string, string | null> = {};
    for (const file of deliverable.files ?? []) {
      const read = await readReport(cwd, file);
      files[file] = 'bytes' in read ? sha256(read.bytes) : null;
    }
    const missing = Object.values(files).filter((sum) => sum === null).length;
    measurements.push({
      ...base(deliverable, { missing, present: Object.keys(files).length - missing }),
      stage: null,
      files,
    });
  }
  return measurements;
}

async function measureReport(deliverable: Deliverable, file: string, cwd: string): Promise<Measurement> {
  const read = await readReport(cwd, file);
  if (!('bytes' in read))
    return failed(deliverable, file, null, {
      code: 'FLOWLINE_QUALITY_REPORT_MISSING',
      message: read.problem,
      file,
    });
  const sum = sha256(read.bytes);
  const parser = PARSERS[deliverable.format ?? ''];
  const text = read.bytes.toString('utf8');
  const parsed = parser === undefined ? undefined : parser(text);
  if (parsed === undefined || !parsed.ok) {
    const problem = parsed?.problem ?? { message: `no parser for the format \`${deliverable.format}\`` };
    const at =
      problem.line === undefined
        ? ''
        : `:${problem.line}${problem.column === undefined ? '' : `:${problem.column}`}`;
    const error: MeasurementError = {
      code: 'FLOWLINE_QUALITY_REPORT_INVALID',
      message: `${file}${at} is not a valid ${deliverable.format} report: ${problem.message}`,
      file,
      ...(problem.line === undefined ? {} : { line: problem.line }),
      ...(problem.column === undefined ? {} : { column: problem.column }),
    };
    return failed(deliverable, file, sum, error);
  }
  return { ...base(deliverable, parsed.values), file, sha256: sum };
}

type Read = { bytes: Buffer } | { problem: string };

/** Reads `file` (relative to the repository); problems name it as written, not the machine's path. */
async function readReport(cwd: string, file: string): Promise<Read> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path.join(cwd, file), 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) return { problem: 'it is not a file' };
    if (stat.size > MAX_REPORT_BYTES)
      return { problem: `it is larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB` };
    return { bytes: await handle.readFile() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem:
        code === 'ENOENT' ? 'the stage did not write it' : `it cannot be read (${code ?? String(error)})`,
    };
  } finally {
    await handle?.close();
  }
}

function base(deliverable: Deliverable, values: Readonly<Record<string, number>>): Measurement {
  return {
    deliverable: deliverable.id,
    method: deliverable.method,
    stage: deliverable.stage ?? null,
    values,
    error: null,
    file: null,
    sha256: null,
  };
}

function failed(
  deliverable: Deliverable,
  file: string,
  sum: string | null,
  error: MeasurementError,
): Measurement {
  const message =
    error.code === 'FLOWLINE_QUALITY_REPORT_MISSING'
      ? `${file}, the report of deliverable ${deliverable.id}: ${error.message}`
      : error.message;
  return { ...base(deliverable, {}), values: null, error: { ...error, message }, file, sha256: sum };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

import type { SmokeCheck } from '../config/index.js';
import { parseJsonPath, readJsonPath } from '../core/json-path.js';

/** The outcome of one smoke check against one instance. */
export interface SmokeResult {
  readonly check: string;
  readonly url: string;
  readonly ok: boolean;
  /** Why it failed, in words a person can act on. */
  readonly problem?: string;
}

/**
 * Runs the smoke checks of `run.smoke` against each instance directly (not through the router),
 * so a bad revision is caught before any user reaches it. Checks run in order per instance and
 * stop at the first failure; instances are checked in parallel.
 */
export async function runSmokeChecks(
  checks: readonly SmokeCheck[],
  instanceUrls: readonly string[],
): Promise<SmokeResult[]> {
  const perInstance = await Promise.all(
    instanceUrls.map(async (base) => {
      const results: SmokeResult[] = [];
      for (const check of checks) {
        const result = await runOne(check, base);
        results.push(result);
        if (!result.ok) break;
      }
      return results;
    }),
  );
  return perInstance.flat();
}

async function runOne(check: SmokeCheck, base: string): Promise<SmokeResult> {
  const url = new URL(check.path, base).toString();
  const fail = (problem: string): SmokeResult => ({ check: check.name, url, ok: false, problem });
  let response: Response;
  try {
    response = await fetch(url, {
      method: check.method,
      headers: check.headers,
      ...(check.body === undefined ? {} : { body: check.body }),
      signal: AbortSignal.timeout(check.timeout),
    });
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${check.timeout} ms` : String(error);
    return fail(`${check.method} ${url}: ${reason}`);
  }
  const text = await response.text().catch(() => '');
  if (response.status !== check.expectStatus) {
    return fail(
      `${check.method} ${url} answered ${response.status}, expected ${check.expectStatus}: ${snippet(text)}`,
    );
  }
  const expect = check.expectBody;
  if (expect?.contains !== undefined && !text.includes(expect.contains)) {
    return fail(`${url}: the body does not contain \`${expect.contains}\`: ${snippet(text)}`);
  }
  if (expect?.jsonPath !== undefined) {
    // The same dialect as web metrics (core/json-path.ts): what it cannot read fails the check
    // by name instead of being skipped.
    const path = parseJsonPath(expect.jsonPath);
    if (!path.ok) {
      const { message, column, hint } = path.error;
      return fail(
        `${url}: \`${expect.jsonPath}\` cannot be read: ${message} (column ${column})${hint ? `; ${hint}` : ''}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail(`${url}: the body is not JSON, so ${expect.jsonPath} cannot be read: ${snippet(text)}`);
    }
    const found = readJsonPath(json, path.segments);
    if (!found.found) return fail(`${url}: ${expect.jsonPath} is absent from the body: ${snippet(text)}`);
    if (expect.equals !== undefined && found.value !== expect.equals) {
      return fail(
        `${url}: ${expect.jsonPath} is ${JSON.stringify(found.value)}, expected ${JSON.stringify(expect.equals)}`,
      );
    }
  }
  return { check: check.name, url, ok: true };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || '(empty body)';
}

import type { SmokeCheck } from '../config/index.js';

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
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return fail(`${url}: the body is not JSON, so ${expect.jsonPath} cannot be read: ${snippet(text)}`);
    }
    const found = readJsonPath(json, expect.jsonPath);
    if (!found.ok) return fail(`${url}: ${expect.jsonPath} is absent from the body: ${snippet(text)}`);
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

/** Reads `$.a.b[0].c` from a JSON value: the subset smoke checks need. */
export function readJsonPath(value: unknown, path: string): { ok: true; value: unknown } | { ok: false } {
  if (!path.startsWith('$')) return { ok: false };
  let current: unknown = value;
  for (const match of path.slice(1).matchAll(/\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]/g)) {
    const key = match[1] ?? match[3] ?? Number(match[2]);
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return { ok: false };
    current = (current as Record<string | number, unknown>)[key];
  }
  return { ok: true, value: current };
}

/**
 * The Mann-Whitney U test (Wilcoxon rank-sum): does one sample tend to have larger values than
 * the other? Rank-based, so it needs no assumption about the shape of the distributions (latencies
 * are skewed and heavy-tailed) and a few outliers cannot dominate it.
 *
 * Conventions follow SciPy's `mannwhitneyu`: `u` is U of `x`; `greater` means x tends to be larger.
 * Large samples use the normal approximation with tie correction and continuity correction; small
 * samples without ties use the exact distribution.
 */

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyOptions {
  readonly alternative?: Alternative;
  /** `auto` (default): exact when both samples have at most 8 values and there are no ties. */
  readonly method?: 'auto' | 'exact' | 'asymptotic';
  /** Continuity correction of the normal approximation; default true. */
  readonly continuity?: boolean;
}

export interface MannWhitneyResult {
  /** U statistic of `x`: the number of pairs (x, y) with x > y, ties counting one half. */
  readonly u: number;
  readonly p: number;
  readonly method: 'exact' | 'asymptotic';
  /** z score of the normal approximation (0 for the exact method). */
  readonly z: number;
}

const EXACT_AUTO_MAX = 8;
const EXACT_MAX_PAIRS = 2500;

export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: 0, p: 1, method: 'asymptotic', z: 0 };
  const { rankSumX, tieTerm } = rankSum(x, y);
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const wantExact = options.method ?? 'auto';
  const exact =
    tieTerm === 0 &&
    n1 * n2 <= EXACT_MAX_PAIRS &&
    (wantExact === 'exact' || (wantExact === 'auto' && n1 <= EXACT_AUTO_MAX && n2 <= EXACT_AUTO_MAX));
  if (exact) {
    const counts = exactCounts(n1, n2);
    const total = counts.reduce((a, b) => a + b, 0);
    const atLeast = (u: number) => counts.slice(Math.ceil(u - 1e-9)).reduce((a, b) => a + b, 0) / total;
    const p =
      alternative === 'greater'
        ? atLeast(u1)
        : alternative === 'less'
          ? atLeast(u2)
          : 2 * atLeast(Math.max(u1, u2));
    return { u: u1, p: Math.min(1, p), method: 'exact', z: 0 };
  }
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (!(sigma > 0)) return { u: u1, p: 1, method: 'asymptotic', z: 0 };
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const correction = options.continuity === false ? 0 : 0.5;
  const z = (u - mu - correction) / sigma;
  const p = Math.min(1, Math.max(0, normalSf(z) * (alternative === 'two-sided' ? 2 : 1)));
  return { u: u1, p, method: 'asymptotic', z };
}

/** Sum of the ranks of `x` in the pooled sample (average ranks for ties), and Σ(t³ − t) over tie groups. */
function rankSum(x: readonly number[], y: readonly number[]): { rankSumX: number; tieTerm: number } {
  const pooled = [
    ...x.map((value) => ({ value, fromX: true })),
    ...y.map((value) => ({ value, fromX: false })),
  ];
  pooled.sort((a, b) => a.value - b.value);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i + 1;
    while (j < pooled.length && pooled[j]?.value === pooled[i]?.value) j += 1;
    const t = j - i;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k += 1) if (pooled[k]?.fromX) rankSumX += averageRank;
    tieTerm += t * t * t - t;
    i = j;
  }
  return { rankSumX, tieTerm };
}

/**
 * How many of the C(n1+n2, n1) orderings give each U (index = U), by the recurrence
 * c(i, j, u) = c(i−1, j, u−j) + c(i, j−1, u): the largest value is an x (beating all j y's) or a y.
 */
function exactCounts(n1: number, n2: number): number[] {
  // layer[j] = counts for (i, j); start with i = 0: one ordering, U = 0.
  let layer: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let i = 1; i <= n1; i += 1) {
    const next: number[][] = [];
    for (let j = 0; j <= n2; j += 1) {
      const counts = new Array<number>(i * j + 1).fill(0);
      const withX = layer[j] ?? [];
      withX.forEach((c, u) => {
        counts[u + j] = (counts[u + j] ?? 0) + c;
      });
      const withY = j > 0 ? (next[j - 1] ?? []) : [];
      withY.forEach((c, u) => {
        counts[u] = (counts[u] ?? 0) + c;
      });
      next.push(counts);
    }
    layer = next;
  }
  return layer[n2] ?? [1];
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/**
 * Complementary error function, Chebyshev fit (Numerical Recipes `erfcc`): relative error below
 * 1.2e-7 everywhere, which keeps tail probabilities accurate (unlike 1 − erf).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const result = t * Math.exp(poly);
  return x >= 0 ? result : 2 - result;
}

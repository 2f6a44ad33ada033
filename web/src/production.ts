/**
 * Whether an environment's name says production (`production`, `prod`, `prod-eu`, `production.us`):
 * actions there ask for confirmation first. The one rule for every view; the releases view also
 * asks for any environment its policy protects.
 */
export function namedProduction(environment: string): boolean {
  return /^prod(uction)?($|[-_.])/i.test(environment);
}

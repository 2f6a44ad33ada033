/**
 * A count with its noun, for text people read: `1 stage`, `0 stages`, `2 stages`. `many` is
 * for nouns whose plural is not made with `s` (`counted(n, 'entry', 'entries')`). One helper, so
 * no message says "1 stages" or hedges with "stage(s)".
 */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

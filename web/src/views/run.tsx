/** Placeholder during development; replaced by the view before this lands. */
export function Run() {
  return <p>Run</p>;
}

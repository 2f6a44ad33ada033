/** Placeholder during development; replaced by the view before this lands. */
export function Metrics() {
  return <p>Metrics</p>;
}

/** Placeholder during development; replaced by the view before this lands. */
export function Audit() {
  return <p>Audit</p>;
}

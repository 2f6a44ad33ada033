/** Placeholder during development; replaced by the view before this lands. */
export function Runs() {
  return <p>Runs</p>;
}

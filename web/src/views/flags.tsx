/** Placeholder during development; replaced by the view before this lands. */
export function Flags() {
  return <p>Flags</p>;
}

/** Placeholder during development; replaced by the view before this lands. */
export function Releases() {
  return <p>Releases</p>;
}

/** Placeholder during development; replaced by the view before this lands. */
export function Release() {
  return <p>Release</p>;
}

/** A path no view answers: say so and lead back, never a blank page. */
export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No view is at <code>{location.pathname}</code>. <a href="/">Back to the environments</a>.
      </p>
    </section>
  );
}

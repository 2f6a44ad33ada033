import { ApiError, ServerUnreachableError } from '../api/client.js';
import type { Resource } from '../live/resource.js';

/** A coloured word for a status; the word itself carries the meaning, never the colour alone. */
export function StatusBadge(props: { readonly status: string | null | undefined }) {
  const status = props.status ?? 'unknown';
  return <span class={`badge badge-${tone(status)}`}>{status}</span>;
}

function tone(status: string): 'good' | 'bad' | 'busy' | 'quiet' {
  if (/^(succeeded|success|successful|healthy|green|passed|pass|on|resolved|live)$/i.test(status))
    return 'good';
  if (/(fail|error|red|rolled|abort|unhealthy|killed|open|down|cancel)/i.test(status)) return 'bad';
  if (/(running|queued|starting|step|paused|progress|waiting|pending|acknowledged)/i.test(status))
    return 'busy';
  return 'quiet';
}

/** An API error as the CLI shows it: code, what, where and how to fix. */
export function ErrorBox(props: { readonly error: unknown; readonly title?: string }) {
  const { error } = props;
  if (error instanceof ApiError) {
    return (
      <div class="error-box" role="alert">
        <strong>{props.title ?? 'The server refused this'}</strong>
        <p>
          <code>{error.code}</code> {error.message}
        </p>
        {error.issues.length > 0 && (
          <ul>
            {error.issues.map((issue) => (
              <li key={`${issue.path ?? ''}${issue.message}`}>
                {issue.path !== undefined && <code>{issue.path}</code>}
                {issue.line !== undefined && <code>{`:${issue.line}:${issue.column ?? 1}`}</code>}{' '}
                {issue.message}
                {issue.hint !== undefined && <span class="hint"> {issue.hint}</span>}
              </li>
            ))}
          </ul>
        )}
        {error.hint !== undefined && <p class="hint">{error.hint}</p>}
      </div>
    );
  }
  const message =
    error instanceof ServerUnreachableError
      ? 'The Flowline server cannot be reached. This page retries by itself.'
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div class="error-box" role="alert">
      <strong>{props.title ?? 'Something went wrong'}</strong>
      <p>{message}</p>
    </div>
  );
}

/** Renders a resource: a loading line, its error, or `children(value)`. */
export function Loaded<T>(props: {
  readonly resource: Resource<T>;
  readonly children: (value: T) => preact.ComponentChildren;
  readonly what?: string;
}) {
  const { resource } = props;
  if (resource.kind === 'loading')
    return (
      <p class="muted" aria-busy="true">
        Loading {props.what ?? ''}…
      </p>
    );
  if (resource.kind === 'error')
    return <ErrorBox error={resource.error} title={`Could not load ${props.what ?? 'this'}`} />;
  return <>{props.children(resource.value)}</>;
}

import { api } from '../api/client.js';
import type { AndonStatus } from '../api/types.js';
import { age, when } from '../format.js';
import { useResource } from '../live/resource.js';

/**
 * The andon cord, loud on every page while any service's trunk is red: promotions of that service
 * are stopped until it is green again (docs/pipeline.md#andon).
 */
export function AndonBanner() {
  const andon = useResource(
    (signal) => api<{ andon: AndonStatus[] }>('/v1/andon', { signal }),
    [],
    (event) => event.type.startsWith('andon.') || event.type === 'run.finished',
  );
  if (andon.kind !== 'ready') return null;
  const red = andon.value.andon.filter((a) => a.state === 'red');
  if (red.length === 0) return null;
  return (
    <div class="andon" role="alert" data-testid="andon">
      {red.map((a) => (
        <p key={a.service}>
          <strong>Line stopped: {a.service}</strong> — trunk red{' '}
          <span title={when(a.since)}>{age(a.since)}</span>
          {a.cause === 'run' && a.runId !== null ? (
            <>
              {' '}
              by run <a href={`/runs/${encodeURIComponent(a.runId)}`}>{a.runId}</a>
            </>
          ) : (
            a.actor !== null && <> by {a.actor}</>
          )}
          {a.reason !== null && <>: {a.reason}</>}. Promotions of {a.service} wait until it is green.
        </p>
      ))}
    </div>
  );
}

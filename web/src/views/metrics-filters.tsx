import { useLocation } from 'preact-iso';
import type { MetricsWindow } from '../api/metrics.js';
import { type MetricsFilters, metricsHref } from './metrics-model.js';

/**
 * The filters as a form that writes the URL: the page is whatever its query string says, so a
 * view can be shared by its address. The server checks every value and answers a coded error
 * for a bad one (shown by the panels), so the form only trims.
 */
export function MetricsFilterForm(props: { readonly filters: MetricsFilters }) {
  const { route } = useLocation();
  const { filters } = props;
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    };
    const from = text('from');
    const commitTime = text('commitTime');
    route(
      metricsHref({
        service: text('service'),
        environment: text('environment'),
        // The API refuses `since` with `from`: a fixed start wins.
        since: from === undefined ? text('since') : undefined,
        from,
        to: text('to'),
        utcOffset: text('utcOffset'),
        commitTime: commitTime === 'authored' || commitTime === 'committed' ? commitTime : undefined,
        period: text('period'),
      }),
    );
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Metrics filters" data-testid="metrics-filters">
      <label>
        Service
        <input name="service" defaultValue={filters.service ?? ''} placeholder="every service" />
      </label>
      <label>
        Environment
        <input name="environment" defaultValue={filters.environment} required />
      </label>
      <label>
        Since
        <input name="since" defaultValue={filters.since ?? ''} placeholder="30d" size={8} />
      </label>
      <label>
        From
        <input name="from" defaultValue={filters.from ?? ''} placeholder="2026-11-01" size={12} />
      </label>
      <label>
        To
        <input name="to" defaultValue={filters.to ?? ''} placeholder="now" size={12} />
      </label>
      <label>
        UTC offset
        <input name="utcOffset" defaultValue={filters.utcOffset ?? ''} placeholder="+00:00" size={7} />
      </label>
      <label>
        Lead time from
        <select name="commitTime" defaultValue={filters.commitTime ?? 'committed'}>
          <option value="committed">commit time</option>
          <option value="authored">author time</option>
        </select>
      </label>
      <label>
        Quality month
        <input
          name="period"
          type="month"
          defaultValue={filters.period ?? ''}
          pattern="[0-9]{4}-[0-9]{2}"
          placeholder="YYYY-MM"
        />
      </label>
      <button type="submit" class="primary">
        Show
      </button>
    </form>
  );
}

/** The window the server measured, as it answered it (UTC), and the environment. */
export function WindowLine(props: { readonly window: MetricsWindow; readonly environment: string }) {
  const { window, environment } = props;
  const text = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}`;
  return (
    <p class="muted" data-testid="metrics-window">
      {environment}, <time dateTime={window.from}>{text(window.from)}</time> →{' '}
      <time dateTime={window.to}>{text(window.to)}</time> UTC (the end excluded)
    </p>
  );
}

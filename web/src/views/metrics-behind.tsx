import { useState } from 'preact/hooks';
import { short } from '../format.js';
import { type Behind, type BehindItem, deploymentHref } from './metrics-model.js';

/** How many ids of one kind are listed before "show all": long windows name thousands of commits. */
const FIRST = 50;

/**
 * What a figure is computed from, in a disclosure: each deployment linked to its release page,
 * each commit by its sha (the API records no repository URL, so there is nothing to link a sha
 * to), each incident by id. Every id the API answered is reachable: the list is cut, not lost.
 */
export function BehindList(props: {
  readonly testid: string;
  /** The figure's name, so each list is its own landmark: "Deployments behind Change fail rate". */
  readonly figure: string;
  readonly behind: Behind;
  readonly service: string;
  readonly environment: string;
}) {
  const { behind, service, environment } = props;
  const parts = [
    count(behind.deployments.length, 'deployment'),
    count(behind.commits.length, 'commit'),
    count(behind.incidents.length, 'incident'),
  ].filter((p) => p !== '');
  return (
    <details class="behind" data-testid={props.testid}>
      <summary>Behind this figure: {parts.length === 0 ? 'nothing in the window' : parts.join(', ')}</summary>
      {behind.deployments.length > 0 && (
        <Capped title="Deployments" figure={props.figure} items={behind.deployments}>
          {(item) => (
            <a href={deploymentHref(service, environment, item.id)}>
              <code>{item.id}</code>
            </a>
          )}
        </Capped>
      )}
      {behind.commits.length > 0 && (
        <Capped title="Commits" figure={props.figure} items={behind.commits}>
          {(item) => <code title={item.id}>{short(item.id, 12)}</code>}
        </Capped>
      )}
      {behind.incidents.length > 0 && (
        <Capped title="Incidents" figure={props.figure} items={behind.incidents.map((id) => ({ id }))}>
          {(item) => (
            <a href={`#incident-${item.id}`}>
              <code>{item.id}</code>
            </a>
          )}
        </Capped>
      )}
    </details>
  );
}

function count(n: number, what: string): string {
  return n === 0 ? '' : `${n.toLocaleString()} ${what}${n === 1 ? '' : 's'}`;
}

function Capped(props: {
  readonly title: string;
  readonly figure: string;
  readonly items: readonly BehindItem[];
  readonly children: (item: BehindItem) => preact.ComponentChildren;
}) {
  const [all, setAll] = useState(false);
  const shown = all ? props.items : props.items.slice(0, FIRST);
  return (
    <div class="behind-group">
      <p class="behind-title">{props.title}</p>
      <ScrollRegion label={`${props.title} behind ${props.figure}`} class="behind-scroll">
        <ul>
          {shown.map((item) => (
            <li key={`${item.id}${item.note ?? ''}`}>
              {props.children(item)}
              {item.note !== undefined && <span class="muted"> {item.note}</span>}
            </li>
          ))}
        </ul>
      </ScrollRegion>
      {shown.length < props.items.length && (
        <button type="button" class="link" onClick={() => setAll(true)}>
          Show all {props.items.length.toLocaleString()} (
          {(props.items.length - shown.length).toLocaleString()} more)
        </button>
      )}
    </div>
  );
}

/**
 * A box that scrolls (a wide table, a long list). It takes the keyboard focus so that its hidden
 * part can be scrolled to without a mouse (WCAG 2.1.1; axe's scrollable-region-focusable).
 */
export function ScrollRegion(props: {
  readonly label: string;
  readonly class?: string;
  readonly children: preact.ComponentChildren;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
    <section class={props.class ?? 'table-scroll'} aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}

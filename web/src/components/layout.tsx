import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { useLive } from '../live/events.js';
import { useSession, useSignedIn } from '../session.js';
import { AndonBanner } from './andon.js';

const NAV: readonly { readonly href: string; readonly label: string }[] = [
  { href: '/', label: 'Environments' },
  { href: '/runs', label: 'Pipeline' },
  { href: '/releases', label: 'Releases' },
  { href: '/flags', label: 'Flags' },
  { href: '/delivery', label: 'Metrics' },
  { href: '/audit', label: 'Audit' },
];

/** The frame of every signed-in page: navigation, the live status, who is signed in, the andon. */
export function Layout(props: { readonly children: ComponentChildren }) {
  const session = useSignedIn();
  const { signOut } = useSession();
  const { status } = useLive();
  const { path } = useLocation();
  const current = (href: string) =>
    href === '/' ? path === '/' || path.startsWith('/services') : path.startsWith(href);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Flowline
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a key={item.href} href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <span class={`live live-${status}`} role="status" data-testid="live-status">
          {status === 'live'
            ? 'Live'
            : status === 'connecting'
              ? 'Connecting…'
              : 'Server away — reconnecting…'}
        </span>
        <span
          class="who"
          title={session.environments === null ? 'all environments' : session.environments.join(', ')}
        >
          {session.actor.name} · {session.role}
        </span>
        <button type="button" class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <AndonBanner />
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

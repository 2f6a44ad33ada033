import { ErrorBoundary, LocationProvider, lazy, Route, Router } from 'preact-iso';
import { Layout } from './components/layout.js';
import { LiveProvider } from './live/events.js';
import { SessionProvider, useSession } from './session.js';
import { Environments } from './views/environments.js';
import { NotFound } from './views/not-found.js';
import { SignIn } from './views/signin.js';

// Views past the first are loaded when visited: the environments view ships alone (docs/benchmarks.md).
const Runs = lazy(() => import('./views/runs.js').then((m) => m.Runs));
const Run = lazy(() => import('./views/run.js').then((m) => m.Run));
const Releases = lazy(() => import('./views/releases.js').then((m) => m.Releases));
const Release = lazy(() => import('./views/release.js').then((m) => m.Release));
const Flags = lazy(() => import('./views/flags.js').then((m) => m.Flags));
const Metrics = lazy(() => import('./views/metrics.js').then((m) => m.Metrics));
const Audit = lazy(() => import('./views/audit.js').then((m) => m.Audit));

/** Every view has its own URL, so a link can be shared; the server answers index.html for each. */
function Routes() {
  return (
    <ErrorBoundary>
      <Router>
        <Route path="/" component={Environments} />
        <Route path="/services/:service" component={Environments} />
        <Route path="/runs" component={Runs} />
        <Route path="/runs/:run" component={Run} />
        <Route path="/releases" component={Releases} />
        <Route path="/releases/:service/:environment" component={Release} />
        <Route path="/flags" component={Flags} />
        <Route path="/flags/:service" component={Flags} />
        <Route path="/flags/:service/:environment" component={Flags} />
        <Route path="/delivery" component={Metrics} />
        <Route path="/audit" component={Audit} />
        <Route default component={NotFound} />
      </Router>
    </ErrorBoundary>
  );
}

function Gate() {
  const { state } = useSession();
  if (state.kind === 'loading') return <p class="muted">Loading…</p>;
  if (state.kind === 'signedOut') return <SignIn reason={state.reason} />;
  return (
    <LiveProvider>
      <Layout>
        <Routes />
      </Layout>
    </LiveProvider>
  );
}

export function App() {
  return (
    <LocationProvider>
      <SessionProvider>
        <Gate />
      </SessionProvider>
    </LocationProvider>
  );
}

// A Flowline router in its own process (compiled code from dist/), routing one host to one
// upstream, so a benchmark's load generator does not share its event loop.
// Usage: node bench/lib/router-process.js <upstream-url> <host>
// Prints "router listening on port N"; stops gracefully on SIGTERM.

// A computed specifier keeps tsc (checkJs) from type-checking the compiled JavaScript; the types
// come from the sources instead.
/** @type {typeof import('../../src/router/index.js')} */
const { createRouter } = await import(new URL('../../dist/router/index.js', import.meta.url).href);

const [upstream, host] = process.argv.slice(2);
if (upstream === undefined || host === undefined) {
  console.error('usage: router-process.js <upstream-url> <host>');
  process.exit(2);
}
const router = createRouter();
router.setRoute(host, {
  service: 'bench',
  environment: 'bench',
  backends: [{ revision: 'r1', weight: 100, instances: [{ id: 'bench-1', url: upstream }] }],
});
const { port } = await router.listen({ port: 0, host: '127.0.0.1' });
console.log(`router listening on port ${port}`);
process.on('SIGTERM', () => {
  router.close({ graceMs: 2000 }).then(() => process.exit(0));
});

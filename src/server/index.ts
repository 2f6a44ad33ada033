export { buildServer, type ServerDeps, type ServerOptions } from './app.js';
export { type Listening, listen } from './listen.js';
export { LiveEventHub, type LiveEventOptions } from './live-events.js';

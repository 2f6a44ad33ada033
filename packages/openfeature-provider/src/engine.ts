/**
 * The Flowline flag engine, shared with the server so the SDK answers exactly as the server would.
 * The build copies the engine into `dist/engine/` and points this module at the copy, so the
 * published package imports nothing outside itself (scripts/build.js).
 */
export * from '../../../src/flags/engine/index.js';

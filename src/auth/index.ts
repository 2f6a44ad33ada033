/** API tokens and roles: who may call the server, and what they may do. */
export { authorize, roleAllows } from './authorize.js';
export { createSessionService, type SessionServiceDeps } from './sessions.js';
export { createTokenService, TOKEN_NAME, type TokenServiceDeps } from './tokens.js';
export type * from './types.js';
export { ROLES } from './types.js';

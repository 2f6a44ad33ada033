import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {
  Authorize,
  BrowserSession,
  Principal,
  Role,
  SessionService,
  TokenService,
} from '../auth/types.js';
import { FlowlineError } from '../core/errors.js';
import { checkCsrf, isSafeMethod, sameValue, sessionCookie } from './csrf.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs, or `public` for the few routes that need no token. */
    access?: Role | 'public';
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/**
 * Authenticates every request before its body is parsed (so an anonymous caller cannot make the
 * server read a large body) and checks the route's least role. Routes are private unless they
 * say `access: 'public'`, so a forgotten declaration fails closed.
 *
 * A request without an Authorization header may be authenticated by the dashboard's session
 * cookie (docs/adr/0019-browser-sessions.md): it acts as the session's token, and every change it
 * makes must carry the session's CSRF token from this origin. Bearer requests are unchanged.
 */
export function registerAuth(
  app: FastifyInstance,
  tokens: TokenService,
  authorize: Authorize,
  local?: LocalAccess,
  sessions?: SessionService,
): void {
  app.decorateRequest('principal', undefined);
  // A route about one environment (an `:environment` path parameter) is checked against the
  // token's scope here, before any body is read, so no handler can forget it.
  const admit = (request: FastifyRequest, principal: Principal, access: Role | undefined) => {
    request.principal = principal;
    const { environment } = (request.params ?? {}) as { environment?: unknown };
    authorize(principal, access ?? 'admin', typeof environment === 'string' ? environment : undefined);
  };
  // Callback style with a synchronous path: a token verified within the last second (the usual
  // case for an app evaluating flags) costs no promise and no store read (docs/adr/0014).
  app.addHook('onRequest', (request, _reply, done) => {
    const { config, url } = request.routeOptions; // a getter that builds an object: read once
    const access = config.access;
    if (access === 'public' || url === undefined) return done(); // 404s fall through to the not-found handler
    const cookie =
      sessions !== undefined && request.headers.authorization === undefined
        ? sessionCookie(request)
        : undefined;
    if (cookie !== undefined && sessions !== undefined) {
      const withSession = (session: BrowserSession) => {
        if (!isSafeMethod(request.method)) checkCsrf(request, session.csrfToken);
        admit(request, session.principal, access);
      };
      try {
        const known = sessions.verifiedSession(cookie);
        if (known !== undefined) {
          withSession(known);
          return done();
        }
      } catch (error) {
        return done(error as Error);
      }
      sessions.authenticate(cookie).then(
        (session) => {
          try {
            withSession(session);
          } catch (error) {
            return done(error as Error);
          }
          done();
        },
        (error: Error) => done(error),
      );
      return;
    }
    let secret: string;
    try {
      secret = bearerToken(request);
      const known =
        local !== undefined && sameValue(secret, local.secret)
          ? local.principal
          : tokens.verifiedPrincipal(secret);
      if (known !== undefined) admit(request, known, access);
    } catch (error) {
      return done(error as Error);
    }
    if (request.principal !== undefined) return done();
    tokens.authenticate(secret).then(
      (principal) => {
        try {
          admit(request, principal, access);
        } catch (error) {
          return done(error as Error);
        }
        done();
      },
      (error: Error) => done(error),
    );
  });
}

/**
 * How to check again, later, the credential a request came with: a long-lived response (the
 * event stream) ends when its token is revoked or expires, or its session ends, not only at the
 * next request.
 */
export function credentialCheck(
  tokens: Pick<TokenService, 'authenticate'>,
  sessions: Pick<SessionService, 'authenticate'> | undefined,
  local: LocalAccess | undefined,
): (request: FastifyRequest) => () => Promise<unknown> {
  return (request) => {
    if (request.headers.authorization !== undefined) {
      const secret = bearerToken(request);
      if (local !== undefined && sameValue(secret, local.secret)) return () => Promise.resolve();
      return () => tokens.authenticate(secret);
    }
    const cookie = sessionCookie(request);
    if (cookie !== undefined && sessions !== undefined) return () => sessions.authenticate(cookie);
    return () => Promise.reject(new Error('no credential'));
  };
}

/**
 * The local CLI's way in: a random secret the server writes to a 0600 file in its home folder
 * at start and forgets at exit. Whoever can read that file can open the store anyway, so it
 * acts as the OS user with admin rights, exactly like the embedded mode.
 */
export interface LocalAccess {
  readonly secret: string;
  readonly principal: Principal;
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    throw new FlowlineError('FLOWLINE_AUTH_MISSING', 'This endpoint needs a bearer token.', {
      hint: 'Send `Authorization: Bearer <token>` (create one with `flowline token create <name> --role read`), or sign in to the dashboard with it.',
    });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) {
    throw new FlowlineError(
      'FLOWLINE_AUTH_INVALID',
      'The Authorization header is not of the form `Bearer <token>`.',
      {
        hint: 'Send `Authorization: Bearer <token>`.',
      },
    );
  }
  return match[1];
}

/** The principal of an authenticated route; routes marked public must not call this. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) {
    throw new FlowlineError('FLOWLINE_INTERNAL', 'A private route ran without an authenticated principal.');
  }
  return request.principal;
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BrowserSession, SessionService } from '../../auth/types.js';
import { FlowlineError } from '../../core/errors.js';
import { checkCsrf, checkOrigin, sessionClearCookie, sessionCookie, sessionSetCookie } from '../csrf.js';
import { Actor, Role } from '../schemas.js';

const SessionAnswer = z.object({
  session: z.object({
    actor: Actor,
    role: Role,
    environments: z.array(z.string()).readonly().nullable(),
    expiresAt: z.string(),
  }),
  csrfToken: z.string(),
});

/**
 * What `GET /v1/session` answers when this browser has no live session: not an error (a page
 * asks this on every load; a 401 there would be a console error before anyone signed in), but
 * the reason, coded as the other routes would refuse it.
 */
const SignedOut = z.object({
  session: z.null(),
  csrfToken: z.null(),
  reason: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }),
});

/** The session routes check the cookie themselves: a bearer token has no session to show or end. */
const COOKIE_SECURITY = [{ session: [] }] as const;

/**
 * The dashboard's sign-in (docs/adr/0019-browser-sessions.md): an API token is exchanged for an
 * HttpOnly, SameSite=Strict session cookie that acts as that token, plus the CSRF token the page
 * sends with every change. The token itself is never stored by the browser.
 */
export const sessionRoutes =
  (sessions: SessionService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/session',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Sign in to the dashboard with an API token: sets the flowline_session cookie',
          tags: ['session'],
          body: z.strictObject({ token: z.string().min(1).max(256) }),
          response: { 201: SessionAnswer },
        },
      },
      async (request, reply) => {
        // Another site's page must not sign a browser in to a session of its choosing (login CSRF).
        checkOrigin(request);
        const { cookie, session, maxAgeSeconds } = await sessions.create(request.body.token);
        void reply
          .status(201)
          .header('cache-control', 'no-store')
          .header('set-cookie', sessionSetCookie(request, cookie, maxAgeSeconds));
        return answer(session);
      },
    );

    app.get(
      '/v1/session',
      {
        config: { access: 'public' },
        schema: {
          summary: "The signed-in dashboard's principal and CSRF token, or why there is none",
          tags: ['session'],
          security: COOKIE_SECURITY,
          response: { 200: z.union([SessionAnswer, SignedOut]) },
        },
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        try {
          return answer(await sessions.authenticate(cookieOf(request)));
        } catch (error) {
          if (!(error instanceof FlowlineError)) throw error;
          if (error.code !== 'FLOWLINE_SESSION_MISSING' && error.code !== 'FLOWLINE_SESSION_EXPIRED')
            throw error;
          const { code, message, hint } = error.toJSON();
          return {
            session: null,
            csrfToken: null,
            reason: { code, message, ...(hint === undefined ? {} : { hint }) },
          };
        }
      },
    );

    app.delete(
      '/v1/session',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Sign out: ends the session and clears the cookie (needs X-Flowline-CSRF)',
          tags: ['session'],
          security: COOKIE_SECURITY,
        },
      },
      async (request, reply) => signOut(sessions, request, reply),
    );
  };

async function signOut(sessions: SessionService, request: FastifyRequest, reply: FastifyReply) {
  const cookie = cookieOf(request);
  checkCsrf(request, (await sessions.authenticate(cookie)).csrfToken);
  await sessions.end(cookie);
  return reply
    .status(204)
    .header('cache-control', 'no-store')
    .header('set-cookie', sessionClearCookie(request))
    .send();
}

function cookieOf(request: FastifyRequest): string {
  const cookie = sessionCookie(request);
  if (cookie === undefined) {
    throw new FlowlineError(
      'FLOWLINE_SESSION_MISSING',
      'No dashboard session: the request carries no session cookie.',
      {
        hint: 'Sign in again with an API token (`flowline token create <name> --role read`, then paste it into the dashboard).',
      },
    );
  }
  return cookie;
}

function answer(session: BrowserSession): z.infer<typeof SessionAnswer> {
  const { actor, role, environments } = session.principal;
  return {
    session: { actor, role, environments, expiresAt: session.expiresAt },
    csrfToken: session.csrfToken,
  };
}

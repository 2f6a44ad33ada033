import { FlowlineError } from '../core/errors.js';
import type { Authorize, Principal, Role } from './types.js';

/** What each role includes besides itself: client < read < {ci, deploy} < admin. */
const INCLUDES: Record<Role, readonly Role[]> = {
  client: [],
  read: ['client'],
  ci: ['read', 'client'],
  deploy: ['read', 'client'],
  admin: ['ci', 'deploy', 'read', 'client'],
};

/** True when `have` includes everything `need` allows (client < read < {ci, deploy} < admin). */
export function roleAllows(have: Role, need: Role): boolean {
  return have === need || INCLUDES[have].includes(need);
}

/**
 * Throws FLOWLINE_FORBIDDEN unless the principal may act with `role` (on `environment`, if
 * given). An environment-scoped token cannot do admin work that is not about one environment
 * (managing tokens): otherwise a token limited to `staging` could mint an unlimited one.
 */
export const authorize: Authorize = (principal, role, environment) => {
  const who = describe(principal);
  if (!roleAllows(principal.role, role)) {
    throw new FlowlineError(
      'FLOWLINE_FORBIDDEN',
      `This needs the ${role} role${environment === undefined ? '' : ` on environment ${environment}`}; ${who} has the ${principal.role} role.`,
      {
        hint: `Use a token with the ${role} role${role === 'admin' ? '' : ' or admin'} (client < read < ci, deploy < admin; ci and deploy are separate); an admin can create one.`,
      },
    );
  }
  const scope = principal.environments;
  if (scope === null) return;
  if (environment === undefined) {
    if (role !== 'admin') return;
    throw new FlowlineError(
      'FLOWLINE_FORBIDDEN',
      `This needs an admin token for all environments; ${who} is limited to ${scope.join(', ')}.`,
      { hint: 'Use an admin token created without --env.' },
    );
  }
  if (!scope.includes(environment)) {
    throw new FlowlineError(
      'FLOWLINE_FORBIDDEN',
      `${capitalise(who)} may act on ${scope.join(', ')} only, not on environment ${environment}.`,
      { hint: `Use a token whose scope includes ${environment} (or one for all environments).` },
    );
  }
};

function describe(principal: Principal): string {
  return `${principal.actor.kind} ${principal.actor.name}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

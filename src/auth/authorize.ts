import { FlowlineError } from '../core/errors.js';
import type { Authorize, Principal, Role } from './types.js';

const RANK: Record<Role, number> = { client: 0, read: 1, deploy: 2, admin: 3 };

/** True when `have` includes everything `need` allows (client < read < deploy < admin). */
export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
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
        hint: `Use a token with the ${role} role or higher (client < read < deploy < admin); an admin can create one.`,
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

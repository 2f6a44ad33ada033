import { describe, expect, it } from 'vitest';
import { authorize, type Principal, type Role } from './index.js';

const principal = (role: Role, environments: string[] | null = null): Principal => ({
  tokenId: 'tok_1',
  actor: { kind: 'token', name: 'ci' },
  role,
  environments,
});

describe('authorize', () => {
  it.each<[Role, Role, string | undefined, string[] | null]>([
    ['read', 'read', undefined, null],
    ['deploy', 'read', 'production', null],
    ['admin', 'deploy', 'production', null],
    ['admin', 'admin', undefined, null],
    ['deploy', 'deploy', 'staging', ['staging', 'preview']],
    ['deploy', 'read', undefined, ['staging']],
    ['admin', 'deploy', 'staging', ['staging']],
    ['client', 'client', 'production', ['production']],
    ['read', 'client', 'production', null],
  ])('lets a %s token do %s work on %s (scope %j)', (have, need, env, scope) => {
    expect(() => authorize(principal(have, scope), need, env)).not.toThrow();
  });

  it.each<[Role, Role, string | undefined, string[] | null, RegExp]>([
    [
      'read',
      'deploy',
      'production',
      null,
      /needs the deploy role on environment production; token ci has the read role/,
    ],
    ['deploy', 'admin', undefined, null, /needs the admin role; token ci has the deploy role/],
    [
      'deploy',
      'deploy',
      'production',
      ['staging'],
      /Token ci may act on staging only, not on environment production/,
    ],
    [
      'admin',
      'admin',
      undefined,
      ['staging'],
      /admin token for all environments; token ci is limited to staging/,
    ],
    ['client', 'read', undefined, ['production'], /needs the read role; token ci has the client role/],
    [
      'client',
      'client',
      'staging',
      ['production'],
      /Token ci may act on production only, not on environment staging/,
    ],
  ])('forbids a %s token doing %s work on %s (scope %j)', (have, need, env, scope, message) => {
    expect(() => authorize(principal(have, scope), need, env)).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_FORBIDDEN', message: expect.stringMatching(message) }),
    );
  });
});

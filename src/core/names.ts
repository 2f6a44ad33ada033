/**
 * The one rule for service and environment names. They end up in host names
 * (`pr-12.shop.localhost`), folder names and token scopes, so they are lowercase DNS labels:
 * letters, digits and `-`, starting with a letter, ending with a letter or digit, at most 63
 * characters. Nothing that passes can climb out of a folder (`..`, `/`) or break a host name.
 */
export const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** How to write a name that {@link DNS_LABEL} accepts, for hints. */
export const DNS_LABEL_HINT =
  'use lowercase letters, digits and `-`, start with a letter, end with a letter or digit, at most 63 characters';

/** Whether `name` is a valid service or environment name. */
export function isDnsLabel(name: unknown): name is string {
  return typeof name === 'string' && DNS_LABEL.test(name);
}

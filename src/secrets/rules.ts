import { FlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';

/** A secret's name is the environment variable it becomes: upper case, digits, underscores. */
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;

/** The largest value, in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 64 * 1024;

/** Environments as the catalog names them, minus control characters (they would blur the AAD). */
const ENVIRONMENT = /^[^\s/\p{Cc}]{1,128}$/u;

/** Refuses a name that cannot be an environment variable, or is one of Flowline's own. */
export function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw invalid(
      'name',
      `The secret name ${JSON.stringify(name.slice(0, 200))} is not an environment-variable name.`,
      'Use 1–128 upper-case letters, digits and underscores, not starting with a digit, e.g. DATABASE_URL.',
    );
  }
  // Flowline sets FLOWLINE_SERVICE, FLOWLINE_ENVIRONMENT, … in every instance: a secret cannot be one.
  if (name.startsWith('FLOWLINE_')) {
    throw invalid(
      'name',
      `The secret name ${name} is reserved: FLOWLINE_* variables are Flowline's own.`,
      'Pick a name without the FLOWLINE_ prefix.',
    );
  }
}

export function checkEnvironment(environment: string): void {
  if (!ENVIRONMENT.test(environment)) {
    throw invalid(
      'environment',
      `The environment name ${JSON.stringify(environment.slice(0, 200))} is not valid.`,
      'Use 1–128 characters without spaces, slashes or control characters, e.g. production.',
    );
  }
}

/**
 * A value must become an environment variable unchanged: text (no unpaired surrogate: it would be
 * stored as invalid UTF-8), no NUL (an environment cannot hold one), 1 byte to 64 KiB. The messages
 * describe the value, never quote it.
 */
export function checkValue(value: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0) throw invalid('value', 'The secret value is empty.', 'Give a value of 1 byte to 64 KiB.');
  if (bytes > MAX_VALUE_BYTES) {
    throw invalid(
      'value',
      `The secret value is ${counted(bytes, 'byte')}; at most ${MAX_VALUE_BYTES} (64 KiB) are allowed.`,
      'Store a larger secret elsewhere (a file or a vault) and give its location as the secret.',
    );
  }
  if (value.includes('\0')) {
    throw invalid(
      'value',
      'The secret value contains a NUL character.',
      'An environment variable cannot hold NUL.',
    );
  }
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) {
    throw invalid(
      'value',
      'The secret value is not valid Unicode text (it has an unpaired surrogate).',
      'Send the value as UTF-8 text.',
    );
  }
}

function invalid(path: string, message: string, hint: string): FlowlineError {
  return new FlowlineError('FLOWLINE_REQUEST_INVALID', message, { hint, location: { path } });
}

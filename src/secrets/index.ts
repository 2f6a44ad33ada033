/**
 * Secrets: values per service and environment, sealed with AES-256-GCM under a key kept outside the
 * database (FLOWLINE_SECRET_KEY, else the key file FLOWLINE_SECRET_KEY_FILE, default
 * `<home>/secret.key`). Each value has a random nonce and is bound (AAD) to what it is for and whose
 * it is; a value sealed with another key is refused by its key id. No answer, error or audit event
 * holds a value: only `resolve` returns them, for the instances of their environment.
 * See docs/adr/0010-trust-model.md, "Secrets".
 *
 * `SecretBox` seals other parts' secrets the same way (flag-trigger HMAC keys).
 */
export { createSecretBox, type Sealed, type SecretBox, secretAad } from './box.js';
export { type KeySource, keySource } from './key.js';
export { MAX_VALUE_BYTES, SECRET_NAME } from './rules.js';
export {
  createSecretService,
  type SecretInfo,
  type SecretService,
  type SecretServiceDeps,
  type SetSecretInput,
} from './service.js';

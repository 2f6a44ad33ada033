import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the published schema lives; also the `$id` of the document. */
/** The schema's identifier (a name, not a download address: editors read SCHEMA_FILE beside flowline.yaml). */
export const CONFIG_SCHEMA_URL = 'urn:flowline:schema:flowline.yaml:v1';

/** Where `flowline init` writes the schema, beside flowline.yaml, for editors. */
export const SCHEMA_FILE = 'flowline.schema.json';

let cached: Record<string, unknown> | undefined;

/**
 * The JSON Schema (draft 2020-12) of flowline.yaml for editors, generated from the same zod schema
 * the parser uses, so the two cannot drift. It describes what may be written (defaults are
 * optional, durations are strings); cross-references are checked by `flowline validate` only.
 * Editors pick it up from the first line of the file:
 * `# yaml-language-server: $schema=<url or path>`.
 */
export function configJsonSchema(): Record<string, unknown> {
  cached ??= {
    ...z.toJSONSchema(configSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: CONFIG_SCHEMA_URL,
    title: 'flowline.yaml',
  };
  return structuredClone(cached);
}

import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  ARTIFACT_MEDIA_TYPE,
  type ArtifactRef,
  type ArtifactStore,
  findArtifactByCacheKey,
  resolveStoredDigest,
} from '../../artifacts/index.js';
import type { Catalog } from '../../catalog/index.js';
import { FlowlineError } from '../../core/errors.js';
import type { Database } from '../../store/index.js';
import { detachedBody } from '../body.js';

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex>');
const Service = z.string().regex(/^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a lowercase DNS label');

/** What the store holds (never its server path). */
const Stored = z
  .object({ digest: z.string(), sizeBytes: z.number().int(), files: z.number().int() })
  .meta({ id: 'StoredArtifact' });

const ArtifactRecord = z.object({
  id: z.string(),
  service: z.string(),
  cacheKey: z.string(),
  commitSha: z.string().nullable(),
  sizeBytes: z.number().int(),
  createdAt: z.string(),
});

const stored = (ref: ArtifactRef) => ({ digest: ref.digest, sizeBytes: ref.sizeBytes, files: ref.files });

const notStored = (digest: string) =>
  new FlowlineError('FLOWLINE_ARTIFACT_NOT_FOUND', `This server stores no artifact ${digest}.`, {
    hint: 'List artifacts with `flowline artifacts`; `flowline run` against this server uploads the one it builds.',
  });

export interface ArtifactTransferDeps {
  readonly artifacts: ArtifactStore;
  readonly catalog: Catalog;
  readonly db: Kysely<Database>;
}

/**
 * The server's artifact store over HTTP, so one build serves every machine: a CI runner asks by
 * cache key before building, downloads what exists, and uploads what it built. Uploads are tar
 * streams the store checks against the claimed digest before keeping anything (see
 * artifacts/transfer.ts); re-uploading a stored artifact does not write it again.
 */
export const artifactTransferRoutes =
  (deps: ArtifactTransferDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { artifacts, catalog } = deps;
    // The tar body reaches the handler as a stream: the store hashes it as it lands on disk.
    app.addContentTypeParser([ARTIFACT_MEDIA_TYPE, 'application/octet-stream'], (_request, payload, done) =>
      done(null, detachedBody(payload)),
    );

    app.get(
      '/v1/artifacts/lookup',
      {
        config: { access: 'read' },
        schema: {
          summary: 'The stored artifact of a service built from these inputs (build once across machines)',
          tags: ['artifacts'],
          querystring: z.strictObject({ service: Service, cacheKey: Digest }),
          response: { 200: z.object({ artifact: ArtifactRecord, stored: Stored }) },
        },
      },
      async (request) => {
        const { service, cacheKey } = request.query;
        const known = await findArtifactByCacheKey(deps.db, service, cacheKey);
        const ref = known === undefined ? undefined : await artifacts.get(known.id);
        if (known === undefined || ref === undefined) {
          throw new FlowlineError(
            'FLOWLINE_ARTIFACT_NOT_FOUND',
            `No stored artifact of ${service} has the cache key ${cacheKey}.`,
            { hint: 'Build it: `flowline run` does, and uploads it here.' },
          );
        }
        return { artifact: known, stored: stored(ref) };
      },
    );

    app.get(
      '/v1/artifacts/:digest',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Whether this server stores an artifact, and its size',
          tags: ['artifacts'],
          params: z.object({ digest: Digest }),
          response: { 200: z.object({ stored: Stored }) },
        },
      },
      async (request) => {
        const ref = await artifacts.get(request.params.digest);
        if (ref === undefined) throw notStored(request.params.digest);
        return { stored: stored(ref) };
      },
    );

    app.get(
      '/v1/artifacts/:digest/content',
      {
        config: { access: 'read' },
        schema: {
          summary: "An artifact's files as a tar stream (application/x-tar)",
          description:
            "The archive holds the artifact's files and links, not its manifest: check what arrives against the digest.",
          tags: ['artifacts'],
          params: z.object({ digest: Digest }),
        },
      },
      async (request, reply) => {
        const stream = await artifacts.pack(request.params.digest);
        void reply.type(ARTIFACT_MEDIA_TYPE).header('cache-control', 'no-store');
        return reply.send(stream);
      },
    );

    app.put(
      '/v1/artifacts/:digest',
      {
        // Build machines upload; a deploy token cannot, or it could ship code of its own choosing.
        config: { access: 'ci' },
        schema: {
          summary:
            'Upload an artifact as a tar stream (application/x-tar); stored only if it hashes to the digest',
          description:
            'The server rebuilds the manifest from the files received and refuses (400 FLOWLINE_ARTIFACT_UPLOAD_REJECTED) content that does not hash to `digest`, or a truncated or malformed archive; nothing is kept then. An artifact already stored is not written again (`received: false`). With `service` and `cacheKey` the artifact is recorded for that service, so `flowline deploy` finds it.',
          tags: ['artifacts'],
          params: z.object({ digest: Digest }),
          querystring: z.strictObject({
            service: Service,
            cacheKey: Digest,
            commitSha: z
              .string()
              .regex(/^[0-9a-f]{40,64}$/)
              .optional(),
          }),
          response: { 200: z.object({ stored: Stored, received: z.boolean(), artifact: ArtifactRecord }) },
        },
      },
      async (request) => {
        if (!(request.body instanceof Readable)) {
          throw new FlowlineError('FLOWLINE_UNSUPPORTED_MEDIA_TYPE', 'An artifact upload is a tar stream.', {
            hint: `Send the archive with Content-Type: ${ARTIFACT_MEDIA_TYPE}.`,
          });
        }
        const { service, cacheKey, commitSha } = request.query;
        const { ref, received } = await artifacts.receive(request.params.digest, request.body);
        // Recorded only once the store has it whole, as a local build does.
        await catalog.ensureService(service);
        const artifact = await catalog.recordArtifact({
          id: ref.digest,
          service,
          cacheKey,
          sizeBytes: ref.sizeBytes,
          ...(commitSha === undefined ? {} : { commitSha }),
        });
        return { stored: stored(ref), received, artifact };
      },
    );

    app.post(
      '/v1/artifacts/:digest/verify',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Re-hash a stored artifact (a digest or a unique prefix of one)',
          tags: ['artifacts'],
          params: z.object({
            digest: z.string().regex(/^(sha256:)?[0-9a-f]{4,64}$/, 'a sha256 digest or a prefix of one'),
          }),
          response: { 200: z.object({ ok: z.literal(true), artifact: Stored }) },
        },
      },
      async (request) => {
        const digest = await resolveStoredDigest(artifacts, request.params.digest);
        return { ok: true as const, artifact: stored(await artifacts.verify(digest)) };
      },
    );
  };

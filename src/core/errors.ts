/**
 * The one catalogue of Flowline's error codes.
 *
 * Domain code throws {@link FlowlineError} with a code from {@link ERROR_CODES}; it knows nothing
 * of HTTP or exit codes. The server maps `kind` to an HTTP status and the CLI maps it to an exit
 * code, each in exactly one place (see `httpStatusOf` and `exitCodeOf`). docs/errors.md documents
 * every code; a test keeps the two in step.
 */

/** How an error is classified; drives the HTTP status and the CLI exit code. */
export type ErrorKind =
  | 'input' // the caller sent something wrong: fix the input
  | 'notFound'
  | 'conflict' // the request is valid but clashes with current state
  | 'precondition' // a conditional request (If-Match) no longer holds: re-read and retry
  | 'unauthenticated'
  | 'forbidden'
  | 'tooLarge'
  | 'mediaType' // the body is in a media type or charset the server does not read
  | 'timeout' // the caller took too long to send the request
  | 'unavailable' // a dependency (server, database, port) cannot be reached right now
  | 'failed' // the operation ran and reported failure (a check failed, a chain is broken)
  | 'unsupported'
  | 'internal';

interface CodeInfo {
  readonly kind: ErrorKind;
  /** One line for docs/errors.md: when it happens. */
  readonly summary: string;
  /** One line for docs/errors.md: what the user does about it. */
  readonly fix: string;
}

export const ERROR_CODES = {
  FLOWLINE_USAGE: {
    kind: 'input',
    summary: 'A command was called with missing or invalid arguments.',
    fix: 'Run the command with `--help` and correct the arguments.',
  },
  FLOWLINE_CONFIG_NOT_FOUND: {
    kind: 'input',
    summary: 'flowline.yaml (or the file given) does not exist.',
    fix: 'Run `flowline init` to create one, or pass the right path.',
  },
  FLOWLINE_CONFIG_UNREADABLE: {
    kind: 'input',
    summary: 'The config file exists but cannot be read.',
    fix: 'Check the file permissions, or that the path is a file and not a folder.',
  },
  FLOWLINE_CONFIG_YAML: {
    kind: 'input',
    summary: 'The config file is not well-formed YAML.',
    fix: 'Fix the YAML at the line and column shown (often indentation or an unclosed quote).',
  },
  FLOWLINE_CONFIG_INVALID: {
    kind: 'input',
    summary: 'The config file is YAML but breaks the schema: wrong types, unknown keys, bad references.',
    fix: 'Fix each listed problem at its file:line:col; `flowline schema` gives editors autocompletion.',
  },
  FLOWLINE_CONFIG_TOO_LARGE: {
    kind: 'tooLarge',
    summary:
      'The config file is over a limit of what Flowline reads: 1 MiB, mappings and lists nested 64 levels deep, or aliases repeating 10,000 values.',
    fix: 'A flowline.yaml is a few kilobytes: check that it is the right file; write aliased values out instead of nesting aliases.',
  },
  FLOWLINE_SETTING_INVALID: {
    kind: 'input',
    summary:
      'An environment variable read at start (such as FLOWLINE_CORS_ORIGINS) has a value Flowline cannot use.',
    fix: 'Correct the variable as the message says and start again; docs/cli.md lists the variables.',
  },
  FLOWLINE_INIT_EXISTS: {
    kind: 'conflict',
    summary: '`flowline init` would overwrite an existing file.',
    fix: 'Edit the existing file, or pass `--force` to replace it.',
  },
  FLOWLINE_STORE_CORRUPT: {
    kind: 'unavailable',
    summary: 'The store file is not a readable SQLite database.',
    fix: 'Restore the file from a backup or move it aside; Flowline never deletes it for you.',
  },
  FLOWLINE_STORE_NEWER_VERSION: {
    kind: 'unavailable',
    summary: 'The store was migrated by a newer Flowline than this one.',
    fix: 'Upgrade Flowline to the version that last wrote the store (or newer).',
  },
  FLOWLINE_STORE_BUSY: {
    kind: 'unavailable',
    summary: 'The store stayed locked by another process too long.',
    fix: 'Another Flowline process holds a long write; retry, or stop the stuck process.',
  },
  FLOWLINE_STORE_UNAVAILABLE: {
    kind: 'unavailable',
    summary: 'The store cannot be opened or reached.',
    fix: 'Check that the folder exists and is writable (FLOWLINE_HOME / --home).',
  },
  FLOWLINE_STORE_NOT_FOUND: {
    kind: 'notFound',
    summary:
      'A command that only reads found no store where it looked (FLOWLINE_HOME, --home, else ./.flowline): it does not create an empty one.',
    fix: 'Point FLOWLINE_HOME or --home at the folder of your store (or FLOWLINE_URL at a server); commands that record something, such as `flowline run`, create a store.',
  },
  FLOWLINE_AUTH_MISSING: {
    kind: 'unauthenticated',
    summary: 'The request carries no bearer token.',
    fix: 'Send `Authorization: Bearer <token>`, or set FLOWLINE_TOKEN for the CLI.',
  },
  FLOWLINE_AUTH_INVALID: {
    kind: 'unauthenticated',
    summary: 'The bearer token is unknown or malformed.',
    fix: 'Check the token you pass; create a new one with `flowline token create`.',
  },
  FLOWLINE_AUTH_REVOKED: {
    kind: 'unauthenticated',
    summary: 'The bearer token was revoked.',
    fix: 'Ask an admin for a new token (`flowline token create`).',
  },
  FLOWLINE_AUTH_EXPIRED: {
    kind: 'unauthenticated',
    summary: 'The bearer token has expired.',
    fix: 'Ask an admin for a new token (`flowline token create --expires …`).',
  },
  FLOWLINE_FORBIDDEN: {
    kind: 'forbidden',
    summary: "The token's role or environment scope does not allow this action.",
    fix: 'Use a token with the role and environment scope the action needs.',
  },
  FLOWLINE_SESSION_MISSING: {
    kind: 'unauthenticated',
    summary: 'The request carries no dashboard session cookie (`flowline_session`).',
    fix: 'Sign in again with an API token (`flowline token create <name> --role read`, then paste it into the dashboard).',
  },
  FLOWLINE_SESSION_EXPIRED: {
    kind: 'unauthenticated',
    summary: 'The dashboard session has ended: it expired, was signed out, or its token was revoked.',
    fix: 'Sign in again with an API token (`flowline token create <name> --role read`).',
  },
  FLOWLINE_CSRF: {
    kind: 'forbidden',
    summary:
      "A change sent with a dashboard session cookie lacks the session's `X-Flowline-CSRF` header, or comes from another origin.",
    fix: "Send the `csrfToken` from `GET /v1/session` as `X-Flowline-CSRF` from the dashboard's own origin; scripts use `Authorization: Bearer <token>` instead of the cookie.",
  },
  FLOWLINE_TOKEN_NOT_FOUND: {
    kind: 'notFound',
    summary: 'No token has that id or name.',
    fix: 'List tokens with `flowline token list --all` and use an id or name from it.',
  },
  FLOWLINE_TOKEN_NAME_TAKEN: {
    kind: 'conflict',
    summary: 'An active token already has that name.',
    fix: 'Pick another name, or revoke the old token first.',
  },
  FLOWLINE_REQUEST_INVALID: {
    kind: 'input',
    summary: 'A request body, query or parameter breaks its schema.',
    fix: 'Fix the fields listed in `issues`; the OpenAPI document is at /v1/openapi.json.',
  },
  FLOWLINE_REQUEST_MALFORMED: {
    kind: 'input',
    summary:
      'A request cannot be read: it is not well-formed HTTP/1.1, its URL is not percent-encoded UTF-8, or its body is not well-formed JSON in UTF-8.',
    fix: 'Send well-formed JSON in UTF-8 with `Content-Type: application/json`, and percent-encode URLs as UTF-8.',
  },
  FLOWLINE_REQUEST_TOO_LARGE: {
    kind: 'tooLarge',
    summary: 'A request body (or a log batch, or the request headers) exceeds its size limit.',
    fix: 'Send a smaller body (the limit is 1 MiB unless the route says otherwise); send long logs in several batches.',
  },
  FLOWLINE_REQUEST_TIMEOUT: {
    kind: 'timeout',
    summary: 'The request did not arrive whole in the time the server waits for one.',
    fix: 'Retry; if it keeps happening, check the network between the client and the server.',
  },
  FLOWLINE_UNSUPPORTED_MEDIA_TYPE: {
    kind: 'mediaType',
    summary: 'A request body is not application/json, or names a charset other than UTF-8.',
    fix: 'Send `Content-Type: application/json` (the log routes take `text/plain`), encoded as UTF-8.',
  },
  FLOWLINE_NOT_FOUND: {
    kind: 'notFound',
    summary: 'The route or record does not exist.',
    fix: 'Check the route or name; list what exists with the matching list command.',
  },
  FLOWLINE_AUDIT_CHAIN_BROKEN: {
    kind: 'failed',
    summary: 'The audit trail was altered: an event was changed, inserted or removed.',
    fix: 'Treat it as a security incident: restore the store from a backup and investigate who changed it.',
  },
  FLOWLINE_AUDIT_ANCHOR_MISMATCH: {
    kind: 'failed',
    summary:
      'The audit chain does not contain a head saved outside the store: events after it were deleted, or the chain up to it was rewritten and re-hashed.',
    fix: 'Treat it as a security incident: someone rewrote the store; restore it from a backup that contains the saved head and investigate who had write access.',
  },
  FLOWLINE_AUDIT_ANCHOR_INVALID: {
    kind: 'input',
    summary:
      'A saved audit head (`--head`, the `head` query parameter, a line of an `--anchor` file) is not a sequence number and a sha256 hash.',
    fix: 'Give heads as `flowline audit head` prints them (`<seq>:<hash>`); an anchor file holds one `{"seq":…,"hash":"…","at":"…"}` per line.',
  },
  FLOWLINE_ARTIFACT_NOT_FOUND: {
    kind: 'notFound',
    summary: 'No stored artifact has that digest (or digest prefix).',
    fix: 'List artifacts with `flowline artifacts`; a removed one is rebuilt by running the pipeline again.',
  },
  FLOWLINE_ARTIFACT_CORRUPT: {
    kind: 'failed',
    summary: 'A stored artifact no longer matches its manifest: a file was changed, removed or added.',
    fix: 'Do not deploy it: find out who changed files under <home>/artifacts, then rebuild it with the pipeline.',
  },
  FLOWLINE_ARTIFACT_DISK_FULL: {
    kind: 'unavailable',
    summary:
      'The disk (or quota) holding the artifact store filled up while storing an artifact; nothing was kept.',
    fix: 'Free space (`flowline artifacts gc`), or move FLOWLINE_HOME to a larger disk, then run again.',
  },
  FLOWLINE_ARTIFACT_UNSUPPORTED_FILE: {
    kind: 'input',
    summary:
      'The folder to bundle holds a symbolic link leading outside it (or to nothing), a socket or a pipe.',
    fix: 'Replace the link with what it points to, or leave the entry out with `build.exclude`.',
  },
  FLOWLINE_ARTIFACT_UPLOAD_REJECTED: {
    kind: 'input',
    summary:
      'An artifact sent to the server was refused: its files do not hash to the digest it claims, or the archive is truncated, malformed or holds entries an artifact cannot; nothing was stored.',
    fix: 'Send it again (`flowline run` re-uploads); if it keeps failing, check the local copy with `flowline artifacts verify` and rebuild with `flowline run --no-cache`.',
  },
  FLOWLINE_BUILD_INPUT_EMPTY: {
    kind: 'input',
    summary: 'A `build.inputs` glob matches no file, so the cache key would silently ignore it.',
    fix: 'Fix the glob (relative to the repo root; node_modules, .git and .flowline count only when named) or remove it.',
  },
  FLOWLINE_SERVER_UNREACHABLE: {
    kind: 'unavailable',
    summary:
      'The Flowline server given cannot be reached, or the connection dropped before an operation finished (its outcome is then unknown).',
    fix: 'Start `flowline serve` there, or fix --server / FLOWLINE_URL. A deploy or rollback cut off carries on on the server: follow it again with `flowline release status <env> -w` (or see how it ended: `flowline deployments`) before retrying.',
  },
  FLOWLINE_SERVER_PROTOCOL: {
    kind: 'unavailable',
    summary: "The server answered with something that is not Flowline's API.",
    fix: 'Point --server / FLOWLINE_URL at a Flowline server (its /v1/health answers).',
  },
  FLOWLINE_PORT_IN_USE: {
    kind: 'unavailable',
    summary: 'A port Flowline wants to listen on is taken.',
    fix: 'Stop the process on that port, or pick another with --port.',
  },
  FLOWLINE_ROUTE_INVALID: {
    kind: 'input',
    summary:
      'A route given to the router is invalid: weights not summing to 100, a bad instance URL, a duplicate.',
    fix: 'Fix each listed field: weights are percentages 0–100 (two decimals), instance URLs http://HOST:PORT.',
  },
  FLOWLINE_BUILD_OUTPUT_MISSING: {
    kind: 'failed',
    summary: 'The build command finished but the folder named in `build.output` does not exist.',
    fix: 'Make the build write into `build.output`, or point `build.output` at the folder it writes.',
  },
  FLOWLINE_RUN_LOCKED: {
    kind: 'conflict',
    summary: 'Another `flowline run` holds the run lock of this repository and `--no-wait` was given.',
    fix: 'Drop `--no-wait` to wait for it, or stop that process; a lock left by a dead process is taken over.',
  },
  FLOWLINE_RUN_CONFLICT: {
    kind: 'conflict',
    summary:
      'A run record sent to the server clashes with what it holds: the run id belongs to another run, or the run has already finished.',
    fix: 'Start a new run with `flowline run`; a finished run cannot be changed.',
  },
  FLOWLINE_INCIDENT_RESOLVED: {
    kind: 'conflict',
    summary: 'The incident was resolved already: it cannot be acknowledged or resolved again.',
    fix: 'See it with `flowline incident list --all`; a problem that came back is a new incident (`flowline incident open`).',
  },
  FLOWLINE_IMPORT_INVALID: {
    kind: 'input',
    summary:
      'A history file to import has problems; each is listed with its own code at file:line (CSV) or its JSON path. Nothing was imported.',
    fix: 'Fix every listed row and import the file again; the whole file is imported in one transaction or not at all.',
  },
  FLOWLINE_IMPORT_FORMAT: {
    kind: 'input',
    summary:
      'A history file is not well-formed: a CSV row with an unclosed quote or a different number of fields than the header, JSON that does not parse, a JSON document without its `deployments`/`incidents` list; or it holds more than 200,000 rows.',
    fix: 'Fix the file at the line shown (docs/metrics.md "Importing history" shows both formats); split a larger file by time.',
  },
  FLOWLINE_IMPORT_EMPTY: {
    kind: 'input',
    summary: 'A history file holds no rows: it is empty, or has a CSV header and nothing under it.',
    fix: 'Check that it is the right file and that the export it came from was not cut.',
  },
  FLOWLINE_IMPORT_COLUMNS: {
    kind: 'input',
    summary:
      'A history file lacks a required column (a JSON row a required field), or has one Flowline does not know (often a typo).',
    fix: 'Name the columns exactly as docs/metrics.md lists them (the message suggests the closest).',
  },
  FLOWLINE_IMPORT_VALUE: {
    kind: 'input',
    summary:
      'A field of a history row has a value Flowline cannot take: empty where required, an unknown outcome, kind or reason, a commit that is not a sha, an id or title too long.',
    fix: 'Use one of the values the message lists; docs/metrics.md gives each column.',
  },
  FLOWLINE_IMPORT_TIME: {
    kind: 'input',
    summary:
      'A time in a history row is not an ISO-8601 date-time with a zone (Z or ±hh:mm), or comes before the time it must follow (finished before started, resolved before opened).',
    fix: 'Write times like 2026-11-03T10:15:00Z or 2026-11-03T11:15:00+01:00; a time without a zone would be read in some unknown offset.',
  },
  FLOWLINE_IMPORT_DUPLICATE: {
    kind: 'conflict',
    summary:
      'Two rows of a history file have the same id, or a row has the id of one imported before with different values.',
    fix: 'Give each row its own id; to correct an earlier import, keep its rows as they were (they are skipped) and add new ids.',
  },
  FLOWLINE_IMPORT_UNKNOWN_CAUSE: {
    kind: 'input',
    summary:
      'An imported incident names a cause deployment that is neither in the file, nor imported before, nor a Flowline deployment of the same service and environment.',
    fix: 'Import the deployments first (or in the same run), or leave the cause empty: Flowline then links the last change before the incident, marked inferred.',
  },
  FLOWLINE_IMPORT_UNKNOWN_SERVICE: {
    kind: 'input',
    summary:
      'A history row names a service Flowline does not know, or an environment that the service neither has nor declares in its policy.',
    fix: 'Register the service first (`flowline config apply` or a `flowline run` in its repository), and name its environments as its policy does.',
  },
  FLOWLINE_QUALITY_REPORT_MISSING: {
    kind: 'failed',
    summary:
      'A report file the quality plan names (coverage, lint, audit, accessibility) was not there, or not readable, when its stage finished: the deliverable is recorded as not measured in that run.',
    fix: 'Make the stage write the file at the `report` path of the deliverable (relative to the repository), or correct the path in flowline.yaml.',
  },
  FLOWLINE_QUALITY_REPORT_INVALID: {
    kind: 'failed',
    summary:
      'A report file the quality plan names is not in the format the deliverable declares (the error names the file, and the line where the parser could tell): the deliverable is recorded as not measured in that run.',
    fix: 'Check the tool writes that format (lcov, Cobertura XML, SARIF, ESLint `json`, `npm audit --json`, axe or pa11y JSON), or correct `format` in flowline.yaml.',
  },
  FLOWLINE_QUALITY_NO_PLAN: {
    kind: 'notFound',
    summary:
      'No quality plan to assess: no run of the service in the period built an artifact whose flowline.yaml has a `quality` section.',
    fix: 'Add `quality.deliverables` to flowline.yaml (docs/quality.md) and run the pipeline on the trunk, or ask for a period with such a run.',
  },
  FLOWLINE_RUN_REAPED: {
    kind: 'conflict',
    summary:
      'A runner reported on a run the server had already marked failed because it had stopped reporting (its CI job was presumed killed).',
    fix: 'Nothing more is recorded for that run: start a new one with `flowline run`; if runs are reaped while alive, raise FLOWLINE_RUNNER_TIMEOUT on the server.',
  },
  FLOWLINE_LOG_OFFSET: {
    kind: 'conflict',
    summary:
      "A batch of log lines does not continue the server's copy of the stage log: bytes are missing before it, or the server holds different bytes at its offset.",
    fix: 'Send the batch at the offset the server last returned (`flowline run` does); the final log upload (PUT) replaces the whole log.',
  },
  FLOWLINE_ANDON_RED: {
    kind: 'conflict',
    summary:
      "The service's trunk is red (a failed trunk run or a pulled andon cord): promotions are stopped.",
    fix: 'Fix the trunk so a run passes, or release the cord: `flowline andon release --reason "…"` (admin).',
  },
  FLOWLINE_DEPLOY_FAILED: {
    kind: 'failed',
    summary: 'A deployment ran and failed: unhealthy instances, a failed smoke check or analysis.',
    fix: 'Read the reason in the message (and `flowline logs` of the instances); fix it and deploy again.',
  },
  FLOWLINE_DEPLOY_UNKNOWN_ENVIRONMENT: {
    kind: 'notFound',
    summary:
      "The environment is not a preview created with `env create`, or the artifact's flowline.yaml does not say how to run the service there.",
    fix: 'Deploy an artifact built with that environment in its flowline.yaml, or create a preview with `flowline env create`.',
  },
  FLOWLINE_DEPLOY_GATE: {
    kind: 'conflict',
    summary: 'A promotion gate refused the deployment (the artifact has not succeeded in the predecessor).',
    fix: 'Deploy the same artifact to the environment named in `after:` first.',
  },
  FLOWLINE_DEPLOY_IN_PROGRESS: {
    kind: 'conflict',
    summary: 'Another deployment to the same environment is still under way; deployments never interleave.',
    fix: 'Wait for it to finish (`flowline deployments`), then deploy again.',
  },
  FLOWLINE_POLICY_UNKNOWN_ENVIRONMENT: {
    kind: 'notFound',
    summary:
      "The environment is not in the server's policy for the service (the policy, not the artifact's flowline.yaml, says where a service may deploy).",
    fix: 'An admin adds it: `flowline config plan` shows the difference, `flowline config apply` applies flowline.yaml.',
  },
  FLOWLINE_POLICY_CONFLICT: {
    kind: 'conflict',
    summary:
      "A policy change clashes with the server's state: a host another service's environment owns, or a policy changed since it was read.",
    fix: 'Choose another host, or read the policy again (`flowline env policy`) and retry.',
  },
  FLOWLINE_ARTIFACT_NO_CONFIG: {
    kind: 'conflict',
    summary:
      'The artifact has no flowline.yaml sealed in it (built by an older Flowline), so the server cannot know how to run it.',
    fix: 'Build it again with `flowline run`: new artifacts carry the config they were built with.',
  },
  FLOWLINE_BUILD_OUTPUT_RESERVED: {
    kind: 'input',
    summary:
      "The build output holds a `.flowline-build` folder, where Flowline seals the build's flowline.yaml.",
    fix: 'Rename that folder, or leave it out with `build.exclude`.',
  },
  FLOWLINE_ROUTER_UNAVAILABLE: {
    kind: 'unavailable',
    summary:
      'The router process (the data plane `flowline serve` starts and adopts) did not start, or does not answer on its control socket.',
    fix: 'Restart `flowline serve`: it starts the router again and rebuilds every route from the store; the router log is `<home>/logs/router.log`.',
  },
  FLOWLINE_DAEMON_NOT_RUNNING: {
    kind: 'unavailable',
    summary: 'The command needs the running Flowline server (router and runtime), and none runs here.',
    fix: 'Start it with `flowline serve` (or `flowline up`) in another terminal, or point FLOWLINE_URL at one.',
  },
  FLOWLINE_ENV_NO_TEMPLATE: {
    kind: 'input',
    summary:
      "`env create` needs a preview template: an environment marked `ephemeral: true` in the server's policy and in the artifact's flowline.yaml.",
    fix: 'Add one under `environments`, e.g. `preview: { ephemeral: true, ttl: 72h, instances: 1 }`.',
  },
  FLOWLINE_ENV_NAME_TAKEN: {
    kind: 'conflict',
    summary:
      "A preview's name (`pr-<n>`, `br-<branch>`) is taken by a persistent environment or by a preview of another branch.",
    fix: 'Delete the other environment first, or create the preview with `--pr <n>` for a distinct name.',
  },
  FLOWLINE_ENV_PERSISTENT: {
    kind: 'conflict',
    summary:
      '`env delete` was asked to delete a persistent environment (staging, production) without `--force`.',
    fix: 'Persistent environments come from flowline.yaml; pass `--force` (admin role) only if you mean to tear it down.',
  },
  FLOWLINE_ANALYSIS_INVALID: {
    kind: 'input',
    summary:
      'An analysis template cannot run: a condition does not parse, a metric has no condition, or its provider is not set up.',
    fix: 'Run `flowline validate` and fix the metric at the place shown; set up the provider it names, or remove the metric.',
  },
  FLOWLINE_METRIC_INVALID: {
    kind: 'input',
    summary:
      'A pushed business metric is malformed: no name, a value that is not a finite number, or a bad time.',
    fix: 'Send `{ name, value, at }` with a metric name, a finite number and an ISO 8601 time.',
  },
  FLOWLINE_METRIC_SERIES_LIMIT: {
    kind: 'tooLarge',
    summary:
      'A pushed business metric would start a new series (service, environment, name) while the server already keeps as many as it may (1,000 by default).',
    fix: 'Push under fewer names: what varies belongs in the value, not the name. A series nothing was pushed to for the retention period (24 h) is dropped and frees its place.',
  },
  FLOWLINE_FLAGS_INVALID: {
    kind: 'input',
    summary:
      'A flag set breaks the rules: an unknown segment or variant, a prerequisite cycle, weights not summing to 100%, an unsafe regex…',
    fix: 'Fix each listed issue at its field path (`flags.<key>.rules[0].when…`); docs/flags.md explains the model.',
  },
  FLOWLINE_FLAGS_TOO_LARGE: {
    kind: 'tooLarge',
    summary:
      'A flag set exceeds a size cap: flags, rules, values per condition, segment keys or total bytes.',
    fix: 'Delete fully rolled-out flags, or target by attribute instead of listing user ids; the limits are in docs/flags.md.',
  },
  FLOWLINE_FLAGS_IMPORT_INVALID: {
    kind: 'input',
    summary: 'A file to import is not a flagd flag definition or an Unleash feature export.',
    fix: 'Pass flagd JSON (with `flags`) or an Unleash export (with `features`); for an admin export with several environments, name one.',
  },
  FLOWLINE_FLAGS_IMPORT_NOTHING: {
    kind: 'input',
    summary:
      'An import found nothing to write: every flag in the file was skipped (each with its reason), or the file holds none.',
    fix: 'Read the reasons listed for each flag; change those flags at the origin or define them in flowline.yaml, then import again.',
  },
  FLOWLINE_FLAGS_CONFLICT: {
    kind: 'precondition',
    summary:
      'The flags changed since they were read: the `If-Match` ETag (or the one saved by `flowline flags plan`) is stale.',
    fix: 'Read the flags again (`flowline flags plan`), review the difference, and apply again.',
  },
  FLOWLINE_FLAGS_NOT_SERVED: {
    kind: 'unavailable',
    summary:
      'A flag change was written, but the server did not serve it within the wait (its evaluate and flag-set endpoints still answer an older version).',
    fix: 'Check that the server is running and reaches the store (`flowline flags get` through it shows the version), then repeat the command: it changes nothing twice.',
  },
  FLOWLINE_FLAG_NOT_FOUND: {
    kind: 'notFound',
    summary: 'No flag has that key in the flag set of that service and environment.',
    fix: 'List the flags with `flowline flags list --env <env>`; create it with `flowline flags set`.',
  },
  FLOWLINE_TRIGGER_NOT_FOUND: {
    kind: 'notFound',
    summary: 'No flag trigger has that name for that service and environment.',
    fix: 'List triggers with `flowline flags trigger list --env <env>`.',
  },
  FLOWLINE_TRIGGER_NAME_TAKEN: {
    kind: 'conflict',
    summary: 'A flag trigger with that name already exists for that service and environment.',
    fix: 'Pick another name, or remove the old trigger first (`flowline flags trigger remove`).',
  },
  FLOWLINE_WEBHOOK_SIGNATURE: {
    kind: 'unauthenticated',
    summary:
      'A signed webhook has no signature, a wrong one, a timestamp older than 5 minutes, or was already received.',
    fix: 'Sign `<timestamp>.<raw body>` with HMAC-SHA256 and the trigger secret; send `X-Flowline-Timestamp` and `X-Flowline-Signature: sha256=<hex>` (docs/flags.md).',
  },
  FLOWLINE_SECRET_MISSING: {
    kind: 'conflict',
    summary: 'Secrets an artifact needs are not set for the environment (every missing name is listed).',
    fix: 'Set each with `flowline secret set NAME --service S --env E` (the value is read from stdin), then deploy again.',
  },
  FLOWLINE_SECRET_NOT_FOUND: {
    kind: 'notFound',
    summary: 'No secret of that name is set for that service and environment.',
    fix: 'List them with `flowline secret list --service S --env E`.',
  },
  FLOWLINE_SECRET_KEY_MISMATCH: {
    kind: 'unavailable',
    summary:
      'Secret values were sealed with another key than the one Flowline has (or it has none): refused by key id.',
    fix: 'Give Flowline the key they were sealed with (FLOWLINE_SECRET_KEY, else the key file FLOWLINE_SECRET_KEY_FILE, default <home>/secret.key); if it is lost, remove and set the values again.',
  },
  FLOWLINE_SECRET_TAMPERED: {
    kind: 'failed',
    summary:
      'A sealed secret does not authenticate under its key: the row was altered or copied from another row.',
    fix: 'Set the value again and find out who changed the store.',
  },
  FLOWLINE_NOT_SUPPORTED: {
    kind: 'unsupported',
    summary: 'The feature is not supported in this setup.',
    fix: 'Use the supported setup named in the message.',
  },
  FLOWLINE_DEPLOY_UNHEALTHY: {
    kind: 'failed',
    summary:
      'An instance did not pass its health check within `run.health.startPeriod`, or exited before it did.',
    fix: 'Read the log lines in the message; make the service listen on `run.port.env` and answer `run.health.path`, or raise `startPeriod`.',
  },
  FLOWLINE_RUNTIME_COMMAND_NOT_FOUND: {
    kind: 'input',
    summary:
      '`run.command` could not be run: the shell found no such program (exit 127) or it is not executable (126).',
    fix: 'Fix `run.command`: it runs with `/bin/sh -c` in the artifact folder, with PATH from Flowline’s environment.',
  },
  FLOWLINE_RUNTIME_SPEC_INVALID: {
    kind: 'input',
    summary:
      'A revision cannot be started as given: no instances, a missing work folder, or a name unfit for files.',
    fix: 'Correct the field named in the message (`run.instances`, the artifact path, `run.port.env`).',
  },
  FLOWLINE_REVISION_RUNNING: {
    kind: 'conflict',
    summary:
      'The revision already runs with another command, or is supervised by another live Flowline process.',
    fix: 'Stop the running revision first, or deploy under a new revision id.',
  },
  FLOWLINE_INTERNAL: {
    kind: 'internal',
    summary: 'A bug in Flowline: please report it with the output.',
    fix: 'Report it with the command, its output and the server log.',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where a problem is: a position in a file, a field path, or both. */
export interface Location {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted field path, e.g. `environments.production.strategy.canary.steps[2].setWeight`. */
  readonly path?: string;
}

/** One problem of many (config validation reports every problem at once). */
export interface Issue extends Location {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface FlowlineErrorOptions {
  readonly hint?: string;
  readonly location?: Location;
  readonly issues?: readonly Issue[];
  readonly cause?: unknown;
}

/** A user-facing error: a stable code, what went wrong, where, and how to fix it. */
export class FlowlineError extends Error {
  override readonly name = 'FlowlineError';
  readonly hint: string | undefined;
  readonly location: Location | undefined;
  readonly issues: readonly Issue[];

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: FlowlineErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.location = options.location;
    this.issues = options.issues ?? [];
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind;
  }

  /** The JSON shape used by the API and by `--json` output. Never includes the cause (it may hold secrets). */
  toJSON(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.location === undefined ? {} : { location: this.location }),
      ...(this.issues.length === 0 ? {} : { issues: this.issues }),
    };
  }
}

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
  location?: Location;
  issues?: readonly Issue[];
}

export function isFlowlineError(value: unknown): value is FlowlineError {
  return value instanceof FlowlineError;
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

const HTTP_STATUS: Record<ErrorKind, number> = {
  input: 400,
  notFound: 404,
  conflict: 409,
  precondition: 412,
  unauthenticated: 401,
  forbidden: 403,
  tooLarge: 413,
  mediaType: 415,
  timeout: 408,
  unavailable: 503,
  failed: 422,
  unsupported: 501,
  internal: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[ERROR_CODES[code].kind];
}

/**
 * CLI exit codes, documented in docs/cli.md. 1 is reserved for "the operation ran and failed"
 * (a failed check, a broken chain), so scripts can tell it from misuse (2).
 */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  input: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  unavailable: 6,
  unsupported: 7,
  internal: 70,
} as const;

const EXIT_BY_KIND: Record<ErrorKind, number> = {
  input: EXIT_CODES.input,
  notFound: EXIT_CODES.notFound,
  conflict: EXIT_CODES.conflict,
  precondition: EXIT_CODES.conflict,
  unauthenticated: EXIT_CODES.auth,
  forbidden: EXIT_CODES.auth,
  tooLarge: EXIT_CODES.input,
  mediaType: EXIT_CODES.input,
  timeout: EXIT_CODES.unavailable,
  unavailable: EXIT_CODES.unavailable,
  failed: EXIT_CODES.failed,
  unsupported: EXIT_CODES.unsupported,
  internal: EXIT_CODES.internal,
};

export function exitCodeOf(code: ErrorCode): number {
  return EXIT_BY_KIND[ERROR_CODES[code].kind];
}

/** Formats a location as `file:line:col` (falling back to the field path). */
export function formatLocation(location: Location): string {
  const parts: string[] = [];
  if (location.file !== undefined) {
    let pos = location.file;
    if (location.line !== undefined) pos += `:${location.line}`;
    if (location.line !== undefined && location.column !== undefined) pos += `:${location.column}`;
    parts.push(pos);
  }
  if (location.path !== undefined && location.path !== '') parts.push(location.path);
  return parts.join(' ');
}

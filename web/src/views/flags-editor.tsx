import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiErrorBody, api, query } from '../api/client.js';
import type { FlagDefinition, FlagEnvironment, ValidateAnswer } from '../api/flags.js';
import { ErrorBox } from '../components/status.js';
import { parseFlagText, placeIssues, RESERVED_KEYS } from './flags-logic.js';

/** What a new flag starts from: off, so saving it changes nothing any user sees. */
const NEW_FLAG: FlagDefinition = {
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: false,
};

const textOf = (flag: FlagDefinition | undefined) => `${JSON.stringify(flag ?? NEW_FLAG, null, 2)}\n`;

type Check =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'valid'; readonly version: number }
  | { readonly kind: 'invalid'; readonly error: ApiErrorBody }
  | { readonly kind: 'failed'; readonly error: unknown };

type Save =
  | { readonly kind: 'idle' }
  | { readonly kind: 'saving' }
  | { readonly kind: 'saved'; readonly version: number }
  | { readonly kind: 'conflict'; readonly error: ApiError }
  | { readonly kind: 'failed'; readonly error: unknown };

const path = (env: FlagEnvironment) =>
  `/v1/flags/${encodeURIComponent(env.service)}/${encodeURIComponent(env.environment)}`;

/**
 * One flag's definition as JSON (what `flowline flags set --file` reads), checked by the server
 * 300 ms after each keystroke through `POST …/validate`, which answers the write's own error:
 * the CLI's code, path and hint, placed at line:col in this text. Save stays disabled until the
 * server says valid; it writes with `If-Match` on the version the text was loaded from, so a
 * change made meanwhile by someone else is refused (412) instead of overwritten.
 */
export function FlagEditor(props: {
  readonly env: FlagEnvironment;
  readonly flagKey: string;
  readonly canSave: boolean;
  readonly onSaved: () => void;
}) {
  const { env, flagKey } = props;
  const current = Object.hasOwn(env.definition.flags, flagKey) ? env.definition.flags[flagKey] : undefined;
  const [base, setBase] = useState({ etag: env.etag, version: env.version, text: textOf(current) });
  const [text, setText] = useState(base.text);
  const [check, setCheck] = useState<Check>({ kind: 'waiting' });
  const [save, setSave] = useState<Save>({ kind: 'idle' });
  const area = useRef<HTMLTextAreaElement>(null);
  const dirty = text !== base.text;

  // A change on the server (live) replaces untouched text; edited text keeps its base version,
  // so saving it is refused with 412 rather than silently undoing the other change.
  useEffect(() => {
    if (env.etag === base.etag || dirty) return;
    const next = { etag: env.etag, version: env.version, text: textOf(current) };
    setBase(next);
    setText(next.text);
  }, [env.etag]);

  useEffect(() => {
    setCheck({ kind: 'waiting' });
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const parsed = parseFlagText(text);
      if (!parsed.ok) {
        setCheck({ kind: 'invalid', error: parsed.error });
        return;
      }
      api<ValidateAnswer>(`${path(env)}/validate${query({ flag: flagKey })}`, {
        method: 'POST',
        body: parsed.value,
        signal: controller.signal,
      }).then(
        (answer) =>
          setCheck(
            answer.valid
              ? { kind: 'valid', version: answer.version }
              : { kind: 'invalid', error: placeIssues(answer.error, flagKey, text) },
          ),
        (error: unknown) => {
          if (!controller.signal.aborted) setCheck({ kind: 'failed', error });
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, env.service, env.environment, flagKey]);

  const reload = async () => {
    const document = await api<{ etag: string; version: number; definition: FlagEnvironment['definition'] }>(
      path(env),
    );
    const flag = Object.hasOwn(document.definition.flags, flagKey)
      ? document.definition.flags[flagKey]
      : undefined;
    const next = { etag: document.etag, version: document.version, text: textOf(flag) };
    setBase(next);
    setText(next.text);
    setSave({ kind: 'idle' });
    props.onSaved();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const parsed = parseFlagText(text);
    if (!parsed.ok || check.kind !== 'valid') return;
    setSave({ kind: 'saving' });
    const reserved = RESERVED_KEYS.has(flagKey);
    try {
      const document = await api<{ etag: string; version: number }>(
        reserved ? path(env) : `${path(env)}/${encodeURIComponent(flagKey)}`,
        {
          method: reserved ? 'PUT' : 'POST',
          // Keys the single-flag route cannot address are saved as the whole set, as the CLI would.
          body: reserved
            ? { ...env.definition, flags: { ...env.definition.flags, [flagKey]: parsed.value } }
            : parsed.value,
          headers: { 'if-match': base.etag },
        },
      );
      setBase({ etag: document.etag, version: document.version, text });
      setSave({ kind: 'saved', version: document.version });
      props.onSaved();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setSave({ kind: 'conflict', error });
      else if (error instanceof ApiError)
        setSave({
          kind: 'failed',
          error: new ApiError(error.status, placeIssues(bodyOf(error), flagKey, text)),
        });
      else setSave({ kind: 'failed', error });
    }
  };

  const jump = (line: number, column: number) => {
    const element = area.current;
    if (element === null) return;
    const lines = text.split('\n');
    const offset = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + column - 1;
    element.focus();
    element.setSelectionRange(offset, offset);
  };

  const invalid = check.kind === 'invalid';
  const id = `flag-editor-${env.environment}`;
  return (
    <form class="flag-editor" onSubmit={submit}>
      <label for={id}>
        Definition of <code>{flagKey}</code> in {env.environment}{' '}
        <span class="muted">
          (JSON, as <code>flowline flags set --file</code> reads it)
        </span>
      </label>
      <textarea
        id={id}
        ref={area}
        data-testid="flag-editor"
        spellcheck={false}
        rows={Math.min(28, Math.max(10, text.split('\n').length + 1))}
        value={text}
        aria-invalid={invalid}
        aria-describedby={`${id}-status`}
        readOnly={!props.canSave}
        onInput={(event) => {
          setText((event.target as HTMLTextAreaElement).value);
          if (save.kind === 'saved' || save.kind === 'failed') setSave({ kind: 'idle' });
        }}
      />
      <p id={`${id}-status`} class="flag-check" role="status" data-testid="flag-check">
        {check.kind === 'waiting'
          ? 'Checking…'
          : check.kind === 'valid'
            ? `Valid against version ${check.version}${check.version === base.version ? '' : ` (you started from version ${base.version}: saving will be refused until you reload)`}.`
            : check.kind === 'invalid'
              ? `${(check.error.issues ?? []).length || 1} problem(s): fix them to save.`
              : 'Could not check the definition.'}
      </p>
      {invalid && <Issues error={check.error} onJump={jump} />}
      {check.kind === 'failed' && <ErrorBox error={check.error} title="The check failed" />}
      {props.canSave ? (
        <div class="flag-editor-actions">
          <button
            type="submit"
            class="primary"
            data-testid="flag-save"
            disabled={check.kind !== 'valid' || save.kind === 'saving' || (!dirty && current !== undefined)}
          >
            {save.kind === 'saving' ? 'Saving…' : current === undefined ? 'Create flag' : 'Save'}
          </button>
          {dirty && (
            <button type="button" onClick={() => setText(base.text)}>
              Discard changes
            </button>
          )}
          {save.kind === 'saved' && (
            <span role="status" data-testid="flag-saved">
              Saved as version {save.version}.
            </span>
          )}
        </div>
      ) : (
        <p class="muted">Your token may read these flags but not change them in {env.environment}.</p>
      )}
      {save.kind === 'conflict' && (
        <div class="notice" role="alert" data-testid="flag-conflict">
          <p>
            Someone changed the flags of {env.environment} since you opened this flag (
            <code>{save.error.code}</code>): nothing was written.
          </p>
          <button
            type="button"
            onClick={() => void reload().catch((error) => setSave({ kind: 'failed', error }))}
          >
            Reload their version (discards your text)
          </button>
        </div>
      )}
      {save.kind === 'failed' && <ErrorBox error={save.error} title="Not saved: nothing was written" />}
    </form>
  );
}

function bodyOf(error: ApiError): ApiErrorBody {
  return {
    code: error.code,
    message: error.message,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    issues: error.issues,
  };
}

/** The server's (or the JSON reader's) problems, as the CLI prints them: line:col, code, path, hint. */
function Issues(props: {
  readonly error: ApiErrorBody;
  readonly onJump: (line: number, column: number) => void;
}) {
  const { error } = props;
  return (
    <div class="error-box flag-errors" data-testid="flag-errors">
      <p>
        <code>{error.code}</code> {error.message}
      </p>
      <ul>
        {(error.issues ?? []).map((issue, i) => (
          <li key={`${i}:${issue.path ?? ''}`}>
            {issue.line !== undefined && (
              <button
                type="button"
                class="link"
                title="Show this place in the text"
                onClick={() => props.onJump(issue.line ?? 1, issue.column ?? 1)}
              >
                {`${issue.line}:${issue.column ?? 1}`}
              </button>
            )}{' '}
            {issue.code !== undefined && <code class="issue-code">{issue.code}</code>}{' '}
            {issue.path !== undefined && <code>{issue.path}</code>}
            {issue.path !== undefined && ': '}
            {issue.message}
            {issue.hint !== undefined && <span class="hint"> hint: {issue.hint}</span>}
          </li>
        ))}
      </ul>
      {/* The write repeats its first issue's hint as its own: shown once. */}
      {error.hint !== undefined && error.hint !== error.issues?.[0]?.hint && (
        <p class="hint">hint: {error.hint}</p>
      )}
    </div>
  );
}

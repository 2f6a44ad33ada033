import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import './confirm.css';

/**
 * A modal confirmation for an action on an environment that matters (production): a native
 * `<dialog>`, so focus stays inside it and Escape cancels. The question names the environment,
 * so nobody confirms an action on the wrong one by habit.
 */
export function ConfirmDialog(props: {
  readonly title: string;
  readonly children?: ComponentChildren;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="confirm"
      data-testid="confirm-dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      {props.children}
      <div class="confirm-buttons">
        <button type="button" data-testid="confirm-no" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger === true ? 'danger' : 'primary'}
          data-testid="confirm-yes"
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

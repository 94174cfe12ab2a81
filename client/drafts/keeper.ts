/**
 * Draft keeping: before a tab is logged out, what the user typed in its forms is saved in that
 * tab's sessionStorage (keyed by path), and put back when the same page opens again in that tab
 * after the next login; then deleted. Password, hidden and file inputs, one-time codes and card
 * numbers, and anything inside `[data-sessionwatch-ignore]` are never saved. Only fields the user
 * changed are kept.
 *
 * Framework-controlled fields (React, Vue's `v-model`) work both ways: a field the user typed in
 * counts as changed even when the framework keeps its default value in sync with its value, and a
 * value is put back through the element's native setter followed by `input` and `change` events,
 * which is what those frameworks listen to (an assignment to `value` alone is swallowed by
 * React's value tracker). Fields that mount after the client starts (a single-page app renders
 * later) are restored when they appear, for a bounded time.
 */
import type { EndReason } from '../../shared/protocol';
import type { DraftKeeper } from '../plugins';

export const DRAFT_KEY_PREFIX = 'sessionwatch:draft:';
/**
 * When the last logout of this origin happened (epoch ms), in localStorage: what every tab can
 * read, whether it heard the logout or not (a tab on the login page is out of the tabs' channel;
 * its sessionStorage is its own). A draft saved before it is dropped, never restored.
 */
export const LOGOUT_MARK_KEY = 'sessionwatch:logged-out-at';
/** Older drafts are dropped rather than restored. */
export const DRAFT_MAX_AGE_MS = 24 * 3600 * 1000;
/**
 * How long fields missing when the page's draft is read are waited for (they are restored as soon
 * as they appear); the wait also stops at the user's first input.
 */
export const DRAFT_RESTORE_WAIT_MS = 10_000;

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

interface FieldDraft {
  /** Position among the container's fields. */
  i: number;
  name: string;
  type: string;
  value?: string;
  checked?: boolean;
  selected?: number[];
}

interface StoredDraft {
  v: 1;
  savedAt: number;
  owner: string | null;
  containers: { index: number; fields: FieldDraft[] }[];
}

export interface DraftKeeperOptions {
  /** Containers (forms by default) whose fields are kept. */
  selector: string;
  /** Who the draft belongs to; restored only for the same owner. */
  owner: string | null;
  /** The page the draft belongs to (path + query). */
  path: () => string;
  /** A logout drops every draft of the tab rather than saving one (see `DraftOptions.dropOnLogout`). */
  dropOnLogout: boolean;
  storage?: () => Storage | undefined;
  /** Where the last logout is marked for every tab of the origin (localStorage; see {@link LOGOUT_MARK_KEY}). */
  marks?: () => Storage | undefined;
  root?: () => ParentNode;
}

interface Pending {
  index: number;
  field: FieldDraft;
}

const NEVER_SAVED_TYPES = new Set(['password', 'hidden', 'file', 'submit', 'button', 'reset', 'image']);
const SENSITIVE_AUTOCOMPLETE = /^(cc-|one-time-code|current-password|new-password)/;

function fieldsOf(container: Element): Field[] {
  return Array.from(container.querySelectorAll<Field>('input, textarea, select'));
}

function isKept(field: Field): boolean {
  if (field.closest('[data-sessionwatch-ignore]')) return false;
  if (field instanceof HTMLInputElement && NEVER_SAVED_TYPES.has(field.type)) return false;
  return !SENSITIVE_AUTOCOMPLETE.test((field.getAttribute('autocomplete') ?? '').trim());
}

/** The option a single select shows before the user touches it: the last `selected` one, else the first. */
function defaultIndex(select: HTMLSelectElement): number {
  const options = Array.from(select.options);
  for (let i = options.length - 1; i >= 0; i--) if (options[i].defaultSelected) return i;
  return options.length ? 0 : -1;
}

/**
 * The field's value if the user changed it, else null. `touched`: the user typed in it — the only
 * sign for a framework-controlled field, whose default value the framework keeps equal to its value.
 */
function capture(field: Field, i: number, touched: boolean): FieldDraft | null {
  const base = { i, name: field.name, type: field.type };
  if (field instanceof HTMLSelectElement) {
    if (!touched && !isChanged(field)) return null;
    return { ...base, selected: Array.from(field.options).flatMap((o, index) => (o.selected ? [index] : [])) };
  }
  if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio')) {
    return touched || isChanged(field) ? { ...base, checked: field.checked } : null;
  }
  return isChanged(field) || (touched && field.value !== '') ? { ...base, value: field.value } : null;
}

/** The field no longer shows what the page loaded with (typed in, or set by the page's scripts). */
function isChanged(field: Field): boolean {
  if (field instanceof HTMLSelectElement) {
    const options = Array.from(field.options);
    return field.multiple ? !options.every((o) => o.selected === o.defaultSelected) : field.selectedIndex !== defaultIndex(field);
  }
  if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio'))
    return field.checked !== field.defaultChecked;
  return field.value !== field.defaultValue;
}

/**
 * Sets a property through the setter of the element's prototype chain, not through a setter a
 * framework defined on the element itself: React's value tracker records assignments made through
 * its own, and would then see no change when the `input` event comes.
 */
function setNative(target: object, prop: 'value' | 'checked' | 'selected', value: unknown): void {
  for (let proto = Object.getPrototypeOf(target) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, prop);
    if (descriptor?.set) {
      // The prototype's setter, called on the element: exactly what bypasses the framework's own.
      descriptor.set.call(target, value);
      return;
    }
  }
  (target as Record<string, unknown>)[prop] = value;
}

/** Matches the draft's field (same position, name and type) and still a kept one. */
function matches(field: Field | undefined, draft: FieldDraft): field is Field {
  return !!field && field.name === draft.name && field.type === draft.type && isKept(field);
}

function apply(field: Field, draft: FieldDraft): boolean {
  if (field instanceof HTMLSelectElement && Array.isArray(draft.selected)) {
    Array.from(field.options).forEach((o, index) => setNative(o, 'selected', draft.selected!.includes(index)));
  } else if (field instanceof HTMLInputElement && typeof draft.checked === 'boolean') {
    if (field.checked === draft.checked) return true;
    // A click is what React's onChange of a checkbox or radio follows (and it fires input and
    // change for Vue); a click handler may cancel it, so check, then fall back to the setter.
    field.click();
    if (field.checked === draft.checked) return true;
    setNative(field, 'checked', draft.checked);
  } else if (typeof draft.value === 'string' && !(field instanceof HTMLSelectElement)) {
    setNative(field, 'value', draft.value);
  } else {
    return false;
  }
  // Let frameworks (React, Vue's v-model and v-model.lazy) and the page's own scripts see the change.
  field.dispatchEvent(new Event('input', { bubbles: true }));
  field.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
}

/** The page's `sessionStorage` or `localStorage`; undefined where storage is disabled (reading it throws). */
function webStorage(name: 'sessionStorage' | 'localStorage'): () => Storage | undefined {
  return () => {
    try {
      return globalThis[name];
    } catch {
      return undefined; // storage disabled
    }
  };
}

const defaultStorage = webStorage('sessionStorage');
const defaultMarks = webStorage('localStorage');

/**
 * The keeper of one page. `restore()` restores the fields there now; those not there yet are
 * restored when they appear, within {@link DRAFT_RESTORE_WAIT_MS} and before the user's first
 * input, even across `unwatch()`: a client stopped and started again at once, as React's
 * StrictMode does, must not lose them.
 */
export function createDraftKeeper({
  selector,
  owner,
  path,
  dropOnLogout,
  storage = defaultStorage,
  marks = defaultMarks,
  root = () => document,
}: DraftKeeperOptions): DraftKeeper {
  const key = () => DRAFT_KEY_PREFIX + path();
  const containers = () => Array.from(root().querySelectorAll(selector)).filter((c) => !c.closest('[data-sessionwatch-ignore]'));
  /** Fields the user typed in (or that hold a restored draft). */
  const touched = new WeakSet<Field>();
  /** True while restoring: our own input and change events are not the user's. */
  let applying = false;
  let watching = false;
  /** Draft fields whose field was missing or already filled. */
  let pending: Pending[] = [];
  let observer: MutationObserver | null = null;
  let waitTimer: ReturnType<typeof setTimeout> | undefined;

  const onInput = (event: Event) => {
    const target = event.target;
    if (applying || !(target instanceof Element) || !target.matches('input, textarea, select')) return;
    touched.add(target as Field);
    stopWaiting(); // the user is at work: what appears from now on is theirs
  };

  const stopWaiting = () => {
    pending = [];
    observer?.disconnect();
    observer = null;
    clearTimeout(waitTimer);
  };

  /** Restores what can be now; returns how many fields; keeps the rest pending. */
  const applyPending = (): number => {
    const found = containers();
    let count = 0;
    applying = true;
    try {
      pending = pending.filter(({ index, field: draft }) => {
        const field = found[index] ? fieldsOf(found[index])[draft.i] : undefined;
        if (!matches(field, draft)) return true;
        // A field the user (or the app) already filled keeps its value: the draft gives up on it.
        if (touched.has(field) || isChanged(field)) return false;
        if (apply(field, draft)) {
          touched.add(field);
          count++;
        }
        return false;
      });
    } finally {
      applying = false;
    }
    return count;
  };

  const waitForFields = (target: ParentNode) => {
    const MO = (target as Node).ownerDocument?.defaultView?.MutationObserver ?? globalThis.MutationObserver;
    if (!MO) return void (pending = []);
    observer = new MO(() => {
      applyPending();
      if (!pending.length) stopWaiting();
    });
    observer.observe(target, { childList: true, subtree: true });
    waitTimer = setTimeout(stopWaiting, DRAFT_RESTORE_WAIT_MS);
  };

  /** Deletes every draft in this tab's storage (of any page), nothing else. */
  const dropAll = () => {
    try {
      const store = storage();
      if (!store) return;
      const keys = Array.from({ length: store.length }, (_, i) => store.key(i)).filter((k) => k?.startsWith(DRAFT_KEY_PREFIX));
      for (const k of keys) store.removeItem(k!);
    } catch {
      // Storage disabled: nothing was saved.
    }
  };

  /** When the origin's last logout was (0: none known). */
  const lastLogout = (): number => {
    try {
      return Number(marks()?.getItem(LOGOUT_MARK_KEY)) || 0;
    } catch {
      return 0;
    }
  };

  // A logout in another tab this one did not hear of (the login page's client is out of the tabs'
  // channel): the `storage` event tells every other tab of the origin.
  if (dropOnLogout) {
    const view = (root() as Node).ownerDocument?.defaultView ?? (root() as Document).defaultView ?? globalThis;
    view.addEventListener?.('storage', (event: StorageEvent) => {
      if (event.key === LOGOUT_MARK_KEY) {
        stopWaiting();
        dropAll();
      }
    });
  }

  return {
    save(reason?: EndReason) {
      // The user logged out: what they typed must not wait here for the next person — in no tab.
      if (reason === 'logged-out' && dropOnLogout) {
        stopWaiting();
        dropAll();
        try {
          marks()?.setItem(LOGOUT_MARK_KEY, String(Date.now()));
        } catch {
          // Storage disabled: the tabs that heard the logout dropped theirs.
        }
        return 0;
      }
      const draft: StoredDraft = { v: 1, savedAt: Date.now(), owner, containers: [] };
      let count = 0;
      containers().forEach((container, index) => {
        const fields = fieldsOf(container).flatMap((field, i) => {
          const captured = isKept(field) ? capture(field, i, touched.has(field)) : null;
          return captured ? [captured] : [];
        });
        count += fields.length;
        if (fields.length) draft.containers.push({ index, fields });
      });
      try {
        if (count) storage()?.setItem(key(), JSON.stringify(draft));
      } catch {
        return 0; // quota or storage disabled: nothing more we can do
      }
      return count;
    },
    restore() {
      let draft: StoredDraft | undefined;
      try {
        const raw = storage()?.getItem(key());
        if (!raw) return 0;
        storage()?.removeItem(key());
        draft = JSON.parse(raw) as StoredDraft;
      } catch {
        return 0;
      }
      if (draft?.v !== 1 || !Array.isArray(draft.containers)) return 0;
      if (draft.owner !== owner || !(Date.now() - draft.savedAt < DRAFT_MAX_AGE_MS)) return 0;
      // Saved before a logout (one this tab never heard of): not for whoever signed in since.
      if (dropOnLogout && draft.savedAt <= lastLogout()) return 0;
      stopWaiting();
      pending = draft.containers.flatMap(({ index, fields }) =>
        Number.isInteger(index) && Array.isArray(fields)
          ? fields.filter((f) => Number.isInteger(f?.i)).map((field) => ({ index, field }))
          : [],
      );
      const count = applyPending();
      if (pending.length) waitForFields(root());
      return count;
    },
    discard() {
      try {
        storage()?.removeItem(key());
      } catch {
        // Storage disabled: nothing was saved.
      }
    },
    watch() {
      if (watching) return;
      watching = true;
      const target = root();
      target.addEventListener('input', onInput, true);
      target.addEventListener('change', onInput, true);
    },
    unwatch() {
      if (!watching) return;
      watching = false;
      const target = root();
      target.removeEventListener('input', onInput, true);
      target.removeEventListener('change', onInput, true);
    },
  };
}

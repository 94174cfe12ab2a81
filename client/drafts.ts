/**
 * Draft keeping: before a tab is logged out, what the user typed in its forms is saved in that
 * tab's sessionStorage (keyed by path), and put back when the same page opens again after the next
 * login; then deleted. Password, hidden and file inputs, one-time codes and card numbers, and
 * anything inside `[data-sessionwatch-ignore]` are never saved. Only fields the user changed are kept.
 */

export const DRAFT_KEY_PREFIX = 'sessionwatch:draft:';
/** Older drafts are dropped rather than restored. */
export const DRAFT_MAX_AGE_MS = 24 * 3600 * 1000;

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

export interface DraftKeeper {
  /** Saves the changed fields of the page; returns the number of fields saved. */
  save(): number;
  /** Restores and deletes this page's draft; returns the number of fields restored. */
  restore(): number;
}

export interface DraftKeeperOptions {
  /** Containers (forms by default) whose fields are kept. */
  selector: string;
  /** Who the draft belongs to; restored only for the same owner. */
  owner: string | null;
  /** The page the draft belongs to (path + query). */
  path: () => string;
  storage?: () => Storage | undefined;
  root?: () => ParentNode;
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

/** The field's value if the user changed it, else null. */
function capture(field: Field, i: number): FieldDraft | null {
  const base = { i, name: field.name, type: field.type };
  if (field instanceof HTMLSelectElement) {
    const options = Array.from(field.options);
    if (field.multiple ? options.every((o) => o.selected === o.defaultSelected) : field.selectedIndex === defaultIndex(field)) return null;
    return { ...base, selected: options.flatMap((o, index) => (o.selected ? [index] : [])) };
  }
  if (field instanceof HTMLInputElement && (field.type === 'checkbox' || field.type === 'radio')) {
    return field.checked === field.defaultChecked ? null : { ...base, checked: field.checked };
  }
  return field.value === field.defaultValue ? null : { ...base, value: field.value };
}

function apply(field: Field, draft: FieldDraft): boolean {
  if (field.name !== draft.name || field.type !== draft.type || !isKept(field)) return false;
  if (field instanceof HTMLSelectElement && draft.selected) {
    Array.from(field.options).forEach((o, index) => (o.selected = draft.selected!.includes(index)));
  } else if (field instanceof HTMLInputElement && draft.checked !== undefined) {
    field.checked = draft.checked;
  } else if (typeof draft.value === 'string' && !(field instanceof HTMLSelectElement)) {
    field.value = draft.value;
  } else {
    return false;
  }
  // Let frameworks and the page's own scripts see the change.
  field.dispatchEvent(new Event('input', { bubbles: true }));
  field.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
}

function defaultStorage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined; // storage disabled
  }
}

export function createDraftKeeper({ selector, owner, path, storage = defaultStorage, root = () => document }: DraftKeeperOptions): DraftKeeper {
  const key = () => DRAFT_KEY_PREFIX + path();
  const containers = () => Array.from(root().querySelectorAll(selector)).filter((c) => !c.closest('[data-sessionwatch-ignore]'));

  return {
    save() {
      const draft: StoredDraft = { v: 1, savedAt: Date.now(), owner, containers: [] };
      let count = 0;
      containers().forEach((container, index) => {
        const fields = fieldsOf(container).flatMap((field, i) => {
          const captured = isKept(field) ? capture(field, i) : null;
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
      const found = containers();
      let count = 0;
      for (const { index, fields } of draft.containers) {
        const container = found[index];
        if (!container || !Array.isArray(fields)) continue;
        const all = fieldsOf(container);
        for (const field of fields) if (all[field.i] && apply(all[field.i], field)) count++;
      }
      return count;
    },
  };
}

/**
 * The default UI's stylesheet, injected once. Themable through CSS custom properties set on any
 * ancestor (e.g. `:root { --sessionwatch-accent: rebeccapurple; }`); motion is off under
 * `prefers-reduced-motion: reduce`.
 */

export const STYLE_ELEMENT_ID = 'sessionwatch-styles';

export const CSS = `
.sessionwatch-root {
  --_bg: var(--sessionwatch-bg, #ffffff);
  --_fg: var(--sessionwatch-fg, #1d232b);
  --_muted: var(--sessionwatch-muted, #4a5562);
  --_accent: var(--sessionwatch-accent, #0b57d0);
  --_accent-fg: var(--sessionwatch-accent-fg, #ffffff);
  --_radius: var(--sessionwatch-radius, 12px);
  --_focus: var(--sessionwatch-focus, #f2a900);
  position: fixed; inset: 0; z-index: var(--sessionwatch-z-index, 2147483000);
  display: flex; align-items: center; justify-content: center; padding: 1rem;
  font: var(--sessionwatch-font, 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  color: var(--_fg); box-sizing: border-box;
}
.sessionwatch-root[hidden] { display: none; }
.sessionwatch-root *, .sessionwatch-root *::before, .sessionwatch-root *::after { box-sizing: inherit; }
.sessionwatch-backdrop { position: absolute; inset: 0; background: var(--sessionwatch-backdrop, rgba(15, 20, 25, 0.55)); }
.sessionwatch-dialog, .sessionwatch-panel {
  position: relative; max-width: 28rem; width: 100%; padding: 1.5rem; border-radius: var(--_radius);
  background: var(--_bg); color: var(--_fg); box-shadow: var(--sessionwatch-shadow, 0 12px 40px rgba(0, 0, 0, 0.3));
  animation: sessionwatch-in 160ms ease-out;
}
.sessionwatch-dialog:focus { outline: none; }
.sessionwatch-title { margin: 0 0 0.5rem; font-size: 1.25em; line-height: 1.3; }
.sessionwatch-message { margin: 0 0 0.75rem; color: var(--_muted); }
.sessionwatch-countdown { margin: 0 0 1.25rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.sessionwatch-actions { display: flex; flex-wrap: wrap; gap: 0.5rem; justify-content: flex-end; }
.sessionwatch-button {
  font: inherit; padding: 0.5rem 1rem; border-radius: calc(var(--_radius) / 2); cursor: pointer;
  border: 1px solid var(--_accent); background: transparent; color: var(--_accent); text-decoration: none; display: inline-block;
}
.sessionwatch-button.sessionwatch-primary { background: var(--_accent); color: var(--_accent-fg); }
.sessionwatch-button:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
.sessionwatch-sr {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
.sessionwatch-notice {
  position: fixed; left: 50%; bottom: 1rem; transform: translateX(-50%); z-index: var(--sessionwatch-z-index, 2147483000);
  max-width: calc(100% - 2rem); padding: 0.5rem 1rem; border-radius: calc(var(--sessionwatch-radius, 12px) / 2);
  background: var(--sessionwatch-notice-bg, #1d232b); color: var(--sessionwatch-notice-fg, #ffffff);
  font: var(--sessionwatch-font, 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  box-shadow: var(--sessionwatch-shadow, 0 12px 40px rgba(0, 0, 0, 0.3));
}
.sessionwatch-notice:empty { display: none; }
.sessionwatch-lock { background: var(--sessionwatch-lock-bg, #eef1f4); }
html.sessionwatch-locked body > :not(.sessionwatch-lock) { visibility: hidden !important; }
html.sessionwatch-locked, html.sessionwatch-locked body { overflow: hidden !important; }
@keyframes sessionwatch-in { from { opacity: 0; transform: translateY(8px); } to { opacity: 1; transform: none; } }
@media (prefers-reduced-motion: reduce) {
  .sessionwatch-dialog, .sessionwatch-panel { animation: none; }
}
`;

/** Adds the stylesheet to the document once; `nonce` for a CSP `style-src 'nonce-…'`. */
export function ensureStyles(doc: Document, nonce?: string | null): void {
  if (doc.getElementById(STYLE_ELEMENT_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ELEMENT_ID;
  if (nonce) style.nonce = nonce;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}

let counter = 0;
/** A unique id for aria references. */
export function uniqueId(name: string): string {
  counter += 1;
  return `sessionwatch-${name}-${counter}`;
}

/** `document.createElement` with a class and optional text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

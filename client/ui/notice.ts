/**
 * The connection notice: a small banner, announced politely, while the server cannot be reached.
 * It does not block the page: the user keeps working (activity is kept and reported once the
 * server answers again).
 */
import type { NoticeView } from '../plugins';
import type { SessionWatchTexts } from './texts';
import { element, ensureStyles } from './styles';

export function createConnectionNotice({
  texts,
  doc = document,
  nonce,
}: {
  texts: SessionWatchTexts;
  doc?: Document;
  nonce?: string | null;
}): NoticeView {
  let root: HTMLDivElement | undefined;
  return {
    set(lost) {
      if (!root) {
        ensureStyles(doc, nonce);
        // A live region must be in the document before its text changes to be announced.
        root = element(doc, 'div', 'sessionwatch-notice');
        root.setAttribute('role', 'status');
        root.setAttribute('data-sessionwatch-ui', '');
        doc.body.appendChild(root);
      }
      root.textContent = lost ? texts.connectionLost : '';
    },
    destroy() {
      root?.remove();
      root = undefined;
    },
  };
}

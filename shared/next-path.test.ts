/** `next` stays a path of the app's own origin, for any input (fast-check), and real paths are kept. */
import fc from 'fast-check';
import { assertProperty } from '../test/support/property-seeds';
import { MAX_NEXT_LENGTH, safeNextPath } from './next-path';

const ORIGIN = 'https://app.example';

/** What a redirect to `path` reaches, as a browser resolves it on the app's page. */
function staysHome(path: string): void {
  expect(path.startsWith('/')).toBe(true);
  expect(path.startsWith('//') || path.startsWith('/\\')).toBe(false);
  expect(new URL(path, `${ORIGIN}/some/page`).origin).toBe(ORIGIN);
  // Dot segments resolved, the page's path is one path, not `//host`.
  expect(new URL(path, `${ORIGIN}/some/page`).pathname.startsWith('//')).toBe(false);
  // Decoded once more by a router or a proxy down the line: still home.
  expect(new URL(decodeURIComponent(path.split(/[?#]/, 1)[0]), `${ORIGIN}/`).origin).toBe(ORIGIN);
}

test.each([
  ['/', '/'],
  ['/orders?id=3', '/orders?id=3'],
  ['/search?q=a%20b&next=%2F%2Fevil#top', '/search?q=a%20b&next=%2F%2Fevil#top'],
  ['/my%20files/r%C3%A9sum%C3%A9', '/my%20files/r%C3%A9sum%C3%A9'],
  ['/café', '/café'],
  // The page of https://app.example//evil.example/x: its path on the app.
  ['//evil.example/x', '/evil.example/x'],
  ['///evil.example', '/evil.example'],
])('a path of the app is kept: %j → %j', (value, expected) => {
  expect(safeNextPath(value)).toBe(expected);
});

test.each([
  '/..//evil.example',
  '/.//evil.example',
  '/a/../..//evil.example',
  '/%2e%2e//evil.example',
  '/x/%2E%2E/%2E%2E//evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '/a\\b',
  '/\t/evil.example',
  '/\n/evil.example',
  ' /x',
  '/x y',
  '/x\u0000',
  '/x\u007f',
  'javascript:alert(1)',
  'https://evil.example/',
  'evil.example',
  '',
  '/%2F%2Fevil.example',
  '/%2fevil.example',
  '/%5Cevil.example',
  '/%252F%252Fevil.example',
  '/%09/evil.example',
  '/%E0%A4%A',
  undefined,
  null,
  42,
  ['/a', '/b'],
  { toString: () => '/x' },
])('refused, the fallback instead: %j', (value) => {
  expect(safeNextPath(value)).toBe('/');
  expect(safeNextPath(value, '/home')).toBe('/home');
});

test(`longer than ${MAX_NEXT_LENGTH} characters: refused`, () => {
  const long = `/${'a'.repeat(MAX_NEXT_LENGTH - 1)}`;
  expect(safeNextPath(long)).toBe(long);
  expect(safeNextPath(`${long}a`)).toBe('/');
});

test('an unsafe fallback is refused too', () => {
  expect(safeNextPath('/\\x', '/\\evil.example')).toBe('/');
  expect(safeNextPath(undefined, 'https://evil.example')).toBe('/');
});

/** Strings made of the pieces that matter (slashes, backslashes, controls, schemes, escapes), and any others. */
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom('/', '\\', '//', '/\\', '\t', '\n', '\r', ' ', '\u0000', '\u007f', '\u00a0', '\u2028', '\ufeff'),
      fc.constantFrom(':', '@', '?', '#', '.', '..', '%', '%2F', '%2f', '%5C', '%5c', '%09', '%0A', '%25', '%252F', '%E0%A4%A'),
      fc.constantFrom('javascript:', 'https:', 'http://', 'evil.example', 'app.example', 'data:', 'file:'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

test('for any string, and any fallback, the result is one path of the origin', () => {
  assertProperty(
    fc.property(
      fc.oneof(tricky, fc.string({ unit: 'binary' }), fc.webUrl(), fc.webPath()),
      fc.oneof(tricky, fc.constant('/')),
      (value, fallback) => {
        const result = safeNextPath(value, fallback);
        staysHome(result);
        // A result is kept as it is: a path made safe is safe.
        expect(safeNextPath(result, '/fallback')).toBe(result);
      },
    ),
    { numRuns: 5000 },
  );
});

test('any path of the app (as a browser writes it in location) is kept', () => {
  assertProperty(
    fc.property(fc.webPath(), fc.webQueryParameters(), (path, query) => {
      const url = new URL(`${ORIGIN}/${path.replace(/^\/+/, '')}${query ? `?${query}` : ''}`);
      const value = url.pathname + url.search;
      expect(safeNextPath(value)).toBe(value.replace(/^\/+/, '/'));
    }),
    // -2072671403: `/%00` was refused (a decoded control character that cannot leave the origin).
    { seeds: [-2072671403] },
  );
});

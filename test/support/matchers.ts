/**
 * jest's asymmetric matchers, typed `unknown`: @types/jest types them `any`, which the type-checked
 * lint rules (no-unsafe-assignment, no-unsafe-argument) reject wherever one sits in an expected value.
 * Each is exactly the jest matcher of the same name: `{ endedFor: anyNumber() }` is
 * `{ endedFor: expect.any(Number) }`.
 */

/** `expect.any(Number)`. */
export const anyNumber = (): unknown => expect.any(Number);

/** `expect.any(String)`. */
export const anyString = (): unknown => expect.any(String);

/** `expect.stringContaining(text)`. */
export const stringContaining = (text: string): unknown => expect.stringContaining(text);

/** `expect.stringMatching(pattern)`. */
export const stringMatching = (pattern: string | RegExp): unknown => expect.stringMatching(pattern);

/** `expect.objectContaining(object)`. */
export const objectContaining = (object: object): unknown => expect.objectContaining(object);

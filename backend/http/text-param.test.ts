import { textProblem } from './text-param';

test('text both databases store alike passes: letters of any script, emoji, punctuation, a percent sign', () => {
  for (const value of ['alice', 'jöhn.dœ@example.com', '用户🙂', 'a%b', '100%FF', "O'Brien", 'tab\there'])
    expect(textProblem(value)).toBeNull();
});

test('a NUL, an unpaired surrogate or the replacement character of bytes that were not UTF-8 is named', () => {
  expect(textProblem('a\u0000b')).toBe('must not contain NUL');
  for (const value of ['\uD800', 'x\uDC00', '\uDBFF\uD800', '\uFFFD', 'caf\uFFFD']) expect(textProblem(value)).toBe('is not valid UTF-8');
});

/**
 * `parseUserAgent`: browser, OS and device class of a User-Agent header (ua-parser-js), each part
 * at most 64 characters, desktop when ua-parser-js names no device, other classes folded to `other`.
 */
import { USER_AGENTS } from '../../test/support/http-client';
import { parseUserAgent } from './user-agent';

test.each([
  [
    'Firefox on Windows',
    USER_AGENTS.firefoxWindows,
    { browserName: 'Firefox', browserVersion: '120.0', osName: 'Windows', osVersion: '10', deviceType: 'desktop' },
  ],
  [
    'Safari on an iPhone',
    USER_AGENTS.safariIphone,
    { browserName: 'Mobile Safari', browserVersion: '17.1', osName: 'iOS', osVersion: '17.1', deviceType: 'mobile' },
  ],
  [
    'Safari on an iPad',
    USER_AGENTS.safariIpad,
    { browserName: 'Mobile Safari', browserVersion: '17.1', osName: 'iOS', osVersion: '17.1', deviceType: 'tablet' },
  ],
  [
    'Chrome on an Android tablet',
    USER_AGENTS.chromeAndroidTablet,
    { browserName: 'Chrome', browserVersion: '120.0.0.0', osName: 'Android', osVersion: '13', deviceType: 'tablet' },
  ],
  [
    'Chrome on Linux (no OS version)',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    { browserName: 'Chrome', browserVersion: '120.0', osName: 'Linux', osVersion: null, deviceType: 'desktop' },
  ],
])('%s', (_name, userAgent, expected) => {
  expect(parseUserAgent(userAgent)).toEqual(expected);
});

test.each([
  [
    'a games console',
    'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
  ],
  [
    'a smart TV',
    'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
  ],
])('%s is a device of class "other"', (_name, userAgent) => {
  expect(parseUserAgent(userAgent).deviceType).toBe('other');
});

test.each(['', 'curl/8.5.0', '<script>alert(1)</script>'])('%j: nothing known, a desktop', (userAgent) => {
  expect(parseUserAgent(userAgent)).toEqual({
    browserName: null,
    browserVersion: null,
    osName: null,
    osVersion: null,
    deviceType: 'desktop',
  });
});

test('each part is cut to 64 characters', () => {
  const parsed = parseUserAgent(`Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/${'1'.repeat(100)}`);
  expect(parsed.browserName).toBe('Firefox');
  expect(parsed.browserVersion).toBe('1'.repeat(64));
});

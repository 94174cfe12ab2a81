import UAParser from 'ua-parser-js';
import type { DeviceType } from '../../shared/protocol';

/** Longest user agent kept; ua-parser-js itself only reads the first 500 characters. */
export const MAX_USER_AGENT_LENGTH = 512;
const MAX_PART_LENGTH = 64;

export interface ParsedUserAgent {
  browserName: string | null;
  browserVersion: string | null;
  osName: string | null;
  osVersion: string | null;
  deviceType: DeviceType;
}

function part(value: string | undefined): string | null {
  return value ? value.slice(0, MAX_PART_LENGTH) : null;
}

/** ua-parser-js leaves `device.type` empty for desktops; it names other classes we fold to `other`. */
function deviceTypeOf(type: string | undefined): DeviceType {
  if (!type) return 'desktop';
  if (type === 'mobile' || type === 'tablet') return type;
  return 'other';
}

/** Parses a User-Agent header into browser, OS and device class (ua-parser-js 1.0.x, MIT). */
export function parseUserAgent(userAgent: string): ParsedUserAgent {
  const { browser, os, device } = new UAParser(userAgent.slice(0, MAX_USER_AGENT_LENGTH)).getResult();
  return {
    browserName: part(browser.name),
    browserVersion: part(browser.version),
    osName: part(os.name),
    osVersion: part(os.version),
    deviceType: deviceTypeOf(device.type),
  };
}

/**
 * Test support for the README's examples (run as pasted): the first code block of a language under
 * a heading, and waiting for the server it starts.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The first block of `language` (default ```ts) after `heading` in README.md. */
export function readmeCodeBlock(heading: string, language = 'ts'): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  const match = at === -1 ? null : new RegExp(`\`\`\`${language}\n([\\s\\S]*?)\`\`\``).exec(readme.slice(at));
  if (!match) throw new Error(`no ${language} example under "${heading}" in README.md`);
  return match[1];
}

/** Resolves once `url` answers; throws with the child's output if it exits or takes over 20 s. */
export async function waitForServer(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < 20000) {
    if (child.exitCode !== null) throw new Error(`example exited: ${output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`example did not start: ${output()}`);
}

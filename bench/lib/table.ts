/** The results table: plain text for the terminal, Markdown for bench/RESULTS.md. */
import type { Row } from './types';

export interface Section {
  figure: string;
  title: string;
  seconds: number;
  rows: Row[];
  error?: string;
}

export function formatValue(row: Row): string {
  if (row.value === null || Number.isNaN(row.value)) return 'n/a';
  const value = Number.isInteger(row.value) ? row.value.toLocaleString('en') : String(row.value);
  return row.unit ? `${value} ${row.unit}` : value;
}

export function verdict(row: Row): string {
  return row.pass === null ? '' : row.pass ? 'pass' : 'FAIL';
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A plain-text table, each row followed by its note (indented). */
export function textTable(sections: Section[]): string {
  const all = sections.flatMap((s) => s.rows);
  const w1 = Math.max(6, ...all.map((r) => r.name.length));
  const w2 = Math.max(8, ...all.map((r) => formatValue(r).length));
  const w3 = Math.max(6, ...all.map((r) => (r.target ?? '').length));
  const lines: string[] = [];
  const rule = '-'.repeat(w1 + w2 + w3 + 14);
  lines.push(`${pad('figure', w1)}  ${pad('measured', w2)}  ${pad('target', w3)}  result`, rule);
  for (const section of sections) {
    lines.push(`[${section.title}] (${section.seconds.toFixed(0)} s)`);
    if (section.error) lines.push(`  ERROR: ${section.error}`);
    for (const row of section.rows) {
      lines.push(`${pad(row.name, w1)}  ${pad(formatValue(row), w2)}  ${pad(row.target ?? '', w3)}  ${verdict(row)}`);
      if (row.note) lines.push(`    ${row.note}`);
    }
  }
  lines.push(rule);
  return lines.join('\n');
}

const md = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(sections: Section[]): string {
  const lines = ['| figure | measured | target | result | details |', '| --- | --- | --- | --- | --- |'];
  for (const section of sections) {
    lines.push(`| **${md(section.title)}** | | | | ${section.error ? `ERROR: ${md(section.error)}` : ''} |`);
    for (const row of section.rows) {
      const result = row.pass === null ? '' : row.pass ? '✅ pass' : '❌ FAIL';
      lines.push(`| ${md(row.name)} | ${md(formatValue(row))} | ${md(row.target ?? '')} | ${result} | ${md(row.note ?? '')} |`);
    }
  }
  return lines.join('\n');
}

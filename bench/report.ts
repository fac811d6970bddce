import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Figure {
  name: string;
  /** The absolute figure, formatted. */
  measured: string;
  /** The baseline it is compared with, measured in the same run, formatted. */
  baseline: string;
  /** measured / baseline (higher is better), or null when not measured. */
  ratio: number | null;
  target: string;
  /** null: not measured, or no target. */
  pass: boolean | null;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  date: string;
  load: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {}
  return {
    cpu,
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    date: new Date().toISOString(),
    load: loadAverage(),
  };
}

/** Other work on the machine skews every figure: the report says how busy it was. */
export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const verdict = (f: Figure) => (f.pass === null ? '-' : f.pass ? 'ok' : 'MISSED');
const ratioText = (f: Figure) => (f.ratio === null ? '-' : `${fmt(f.ratio, 2)}x`);

export function textTable(figures: Figure[]): string {
  const head = ['figure', 'measured', 'baseline (same run)', 'ratio', 'target', ''];
  const rows = figures.map((f) => [f.name, f.measured, f.baseline, ratioText(f), f.target, verdict(f)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownReport(opts: {
  machine: Machine;
  settings: string;
  figures: Figure[];
  notes: string[];
  loadAtEnd: string;
  seconds: number;
}): string {
  const { machine: m } = opts;
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '# Assent benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts). Each figure is measured beside its baseline, in the same run',
    'on the same machine, and shown as a ratio against it (higher is better) and in absolute numbers.',
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores`,
    `- Memory: ${m.memoryGb} GB`,
    `- Node.js: ${m.node}`,
    `- Date: ${m.date}`,
    `- Load average (1/5/15 min) at start: ${m.load}; at end: ${opts.loadAtEnd}`,
    `- Settings: ${opts.settings}; total ${fmt(opts.seconds)} s`,
    '',
    '## Results',
    '',
    '| figure | measured | baseline (same run) | ratio | target | |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...opts.figures.map(
      (f) =>
        `| ${cell(f.name)} | ${cell(f.measured)} | ${cell(f.baseline)} | ${ratioText(f)} | ${cell(f.target)} | ${verdict(f)} |`,
    ),
    '',
    '## Notes',
    '',
    ...opts.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

export function writeReport(file: string, text: string) {
  writeFileSync(file, text);
}

/**
 * The README is an entry point (issue #23): short, its set-up commands first, its links inside the
 * repository, its quick start compiling against the sources; the generated blocks of README.md
 * and docs/*.md match scripts/docs-tables.mjs. CPU only: nothing here touches a GPU.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOCS = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown without fenced code blocks and inline code spans (what GitHub renders as text and links). */
export function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[^`]*?\1/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  return new Set([...proseOf(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Every problem with the links of one Markdown file: a target outside the repository, missing, or a missing anchor. */
export function linkProblems(file: string, markdown: string, root = ROOT): string[] {
  const prose = proseOf(markdown);
  const problems: string[] = [];
  for (const m of prose.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s)>\]]*/gi))
    problems.push(`${file}: ${m[0]} points outside the repository`);
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      if (!/:\/\//.test(target)) problems.push(`${file}: ${target} points outside the repository`);
      continue;
    }
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const resolved = path ? resolve(root, dirname(file), decodeURIComponent(path)) : join(root, file);
    if (resolved !== root && !resolved.startsWith(root + sep)) {
      problems.push(`${file}: ${target} points outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${file}: ${target}: no such file (${relative(root, resolved)})`);
      continue;
    }
    if (
      anchor &&
      resolved.endsWith('.md') &&
      statSync(resolved).isFile() &&
      !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)
    ) {
      problems.push(`${file}: ${target}: no heading '#${anchor}' in ${relative(root, resolved)}`);
    }
  }
  return problems;
}

/** The code block under "## Quick start". */
function quickStart(markdown: string): string {
  const section = markdown.split(/^## Quick start$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /^```js\n([\s\S]*?)^```$/m.exec(section);
  if (!block) throw new Error('README.md: no ```js block under "## Quick start"');
  return block[1]!;
}

/** tsc's diagnostics for `code` as a module beside the sources, with 'pathlight' resolved to src/index.ts. */
function typecheck(code: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (!config) throw new Error('tsconfig.json could not be read');
  const fileName = join(ROOT, 'examples', '__readme-quickstart__.ts');
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    paths: { pathlight: [join(ROOT, 'src/index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === fileName ? ts.createSourceFile(name, code, lang, true) : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? code : readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  const source = program.getSourceFile(fileName)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('the README is an entry point', () => {
  it('is at most 350 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(350);
  });

  it('starts with the two set-up commands in a fenced code block', () => {
    expect(README.split('\n').slice(0, 4)).toEqual(['```sh', 'npm ci && npm start', 'npm ci && npm test', '```']);
  });

  it('shows the demo screenshot and links every page of docs/', () => {
    expect(README).toMatch(/!\[[^\]]+\]\(demo\/screenshot\.png\)/);
    for (const doc of DOCS.filter((f) => f.startsWith('docs/'))) expect(README, doc).toContain(`](${doc})`);
  });

  it('has a quick start of about 10 lines that says where its images come from', () => {
    const code = quickStart(README);
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(12);
    expect(code).toMatch(/images\b[^\n]*=[^\n]*loadBundledSample/);
  });

  it('the quick start typechecks against the sources', () => {
    expect(typecheck(quickStart(README))).toEqual([]);
  });

  it('the quick start is plain JavaScript (it runs as a .mjs file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-readme-'));
    try {
      writeFileSync(join(dir, 'quickstart.mjs'), quickStart(README));
      const r = spawnSync(process.execPath, ['--check', join(dir, 'quickstart.mjs')], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the typecheck fails on a quick start that uses an undefined name', () => {
    const broken = quickStart(README).replace(/const \{ image: images, label \}[^\n]*\n/, '');
    expect(typecheck(broken).join('\n')).toMatch(/Cannot find name 'images'/);
  });
});

describe('links in README.md, CHANGELOG.md and docs/*.md', () => {
  it('every link points to an existing file (and heading) inside the repository', () => {
    expect(DOCS.flatMap((f) => linkProblems(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });

  it('the checker finds a link outside the repository, a missing file and a missing heading', () => {
    const md =
      '[a](https://example.org/x) [b](../../elsewhere.md) [c](docs/nope.md) [d](docs/api.md#no-such-heading) `[e](https://in.code/span)`\n```\nhttps://in.a/block\n```\n<http://127.0.0.1:8080/>';
    const problems = linkProblems('README.md', md);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/https:\/\/example\.org\/x points outside/);
    expect(problems.join('\n')).toMatch(/elsewhere\.md points outside/);
    expect(problems.join('\n')).toMatch(/docs\/nope\.md: no such file/);
    expect(problems.join('\n')).toMatch(/no heading '#no-such-heading'/);
    expect(problems.join('\n')).toMatch(/http:\/\/127\.0\.0\.1:8080\/ points outside/);
  });
});

describe('generated blocks', () => {
  it('match scripts/docs-tables.mjs (ONNX ops, CLI synopsis, models, torchvision, TF.js peer)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/docs-tables.mjs'), '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toContain('generated blocks up to date');
    expect(r.status).toBe(0);
  });

  it('the docs carry every generated block', () => {
    const all = DOCS.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
    for (const name of ['onnx-ops', 'cli-usage', 'models', 'torchvision', 'tfjs-peer'])
      expect(all).toContain(`<!-- generated: ${name} (scripts/docs-tables.mjs) -->`);
  });
});

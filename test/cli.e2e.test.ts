/** The `pathlight` command end to end: build, explain an ONNX model's inputs, check the files and errors. */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, ROOT } from '../esbuild.config.mjs';
import { checkoutBenchScript, installedBench } from '../src/cli/bench-command.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { FREE_SIZES_MODEL, tinyOnnx } from './harness/onnx-build.js';
import { decodePng, encodeGrayPng } from '../src/data/png.js';

const cli = join(ROOT, 'dist/cli.js');
const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
const input = join(ROOT, 'test/fixtures/small_resnet_input.npy');
let dir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  await build();
  dir = mkdtempSync(join(tmpdir(), 'pathlight-cli-'));
});

it("explain --json writes the attribution .npy (input shape) and the bare heatmap .png at the input's size", () => {
  const out = join(dir, 'attr.npy');
  const r = run(
    'explain',
    '--model',
    onnx,
    '--input',
    input,
    '--method',
    'idgi',
    '--steps',
    '8',
    '--target',
    '3',
    '--out',
    out,
    '--json',
  );
  expect(r.status, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.method).toBe('idgi');
  expect(summary.images).toHaveLength(2);
  for (const im of summary.images) {
    expect(im.target).toBe(3);
    // IDGI is exactly complete
    expect(Math.abs(im.sum - (im.fx - im.fBaseline - im.droppedDelta))).toBeLessThan(
      1e-3 * Math.max(1, Math.abs(im.fx - im.fBaseline)),
    );
  }
  const npy = readNpy(new Uint8Array(readFileSync(out)));
  expect(npy.shape).toEqual([2, 3, 16, 16]);
  expect(npy.data.some((v) => v !== 0)).toBe(true);
  const png = decodePng(new Uint8Array(readFileSync(join(dir, 'attr.png'))), { channels: 3 });
  expect([png.width, png.height]).toEqual([16, 16]); // one pixel per input pixel, to lay over the input
  // a run over a second (SwiftShader compiles for seconds) shows its stages on stderr, a line each
  // in a log, stdout holding the JSON alone (parsed above)
  const stages = progressLines(r.stderr);
  expect(
    stages.some((l) => /^compiling kernels \d+\/\d+$/.test(l)),
    r.stderr,
  ).toBe(true);
  expect(stages.at(-1)).toBe('writing');
});

it('explain --figure writes the captioned figure beside the .npy and the bare heatmap (the .png form: test/figure.test.ts)', () => {
  const svgPath = join(dir, 'fig', 'lenet.svg');
  const r = run(
    'explain',
    '--model',
    'lenet',
    '--input',
    'sample:0',
    '--method',
    'grad',
    '--out',
    join(dir, 'fig', 'lenet.png'),
    '--figure',
    svgPath,
    '--json',
  );
  expect(r.status, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.files).toEqual({
    npy: join(dir, 'fig', 'lenet.npy'),
    png: join(dir, 'fig', 'lenet.png'),
    figure: svgPath,
  });
  const svg = readFileSync(svgPath, 'utf8');
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  const [image] = summary.images;
  expect(texts).toContain(`lenet · grad · class ${image.target} (${image.className}) · 1 step`);
  expect(texts).toContain('no completeness check (grad promises none)');
  expect(texts).toEqual(expect.arrayContaining(['0', 'signed Σc attr', '|attr| Σc |attr|']));
  // three panels of 28 × 28 input pixels, shown 8× as 224 px
  expect(svg.match(/<image [^>]*width="224" height="224"/g)).toHaveLength(3);
  expect(decodePng(readFileSync(join(dir, 'fig', 'lenet.png'))).width).toBe(28);
});

/** explain's progress lines among stderr's (Dawn may print its own warnings there). */
function progressLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /^(loading the model|picking IG2 references|compiling kernels|explaining|writing)/.test(l));
}

it('a bad target, an unknown method and a missing file are one-line errors with exit code 1', () => {
  const bad = run(
    'explain',
    '--model',
    onnx,
    '--input',
    input,
    '--method',
    'grad',
    '--target',
    '99',
    '--out',
    join(dir, 'x.npy'),
  );
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/target class 99 for input 0 is out of range/);
  expect(bad.stderr).not.toMatch(/cli\.js:\d+/); // no stack trace of ours (Dawn may print its own adapter warnings)
  const method = run('explain', '--model', onnx, '--input', input, '--method', 'magic');
  expect(method.status).toBe(1);
  expect(method.stderr).toMatch(/unknown method 'magic'/);
  const missing = run('explain', '--model', join(dir, 'nope.onnx'), '--input', input, '--method', 'grad');
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/nope\.onnx does not exist/);
});

it('eval --shard k/n files merge into the single run (timing aside); --merge refuses a gap', () => {
  const common = ['--model', 'lenet', '--range', '3:6', '--method', 'ig,idgi', '--steps', '4', '--quiet'];
  const files = [0, 1, 2].map((k) => join(dir, `shard-${k}.json`));
  for (const [k, file] of files.entries()) {
    const r = run('eval', ...common, '--shard', `${k}/3`, '--out', file);
    expect(r.status, r.stderr).toBe(0);
  }
  const single = run('eval', ...common, '--json');
  expect(single.status, single.stderr).toBe(0);
  const merged = run('eval', '--merge', files[2]!, files[0]!, files[1]!, '--json');
  expect(merged.status, merged.stderr).toBe(0);
  const strip = (text: string) => ({ ...JSON.parse(text), timing: null });
  expect(strip(merged.stdout)).toEqual(strip(single.stdout));
  expect(JSON.parse(merged.stdout).timing).toHaveLength(3);
  expectOneLineError(run('eval', '--merge', files[0]!, files[2]!), /eval --merge: index 4 of 3:6 is in no shard/);
  // --record: the committed bench/results/eval/<model>.json and its tables as .md, under the working directory
  const recorded = spawnSync(process.execPath, [cli, 'eval', '--merge', ...files, '--record'], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(recorded.status, recorded.stderr).toBe(0);
  const json = readFileSync(join(dir, 'bench/results/eval/lenet.json'), 'utf8');
  expect(strip(json)).toEqual(strip(single.stdout));
  expect(readFileSync(join(dir, 'bench/results/eval/lenet.md'), 'utf8')).toContain('idgi − ig');
  expectOneLineError(
    run('eval', '--merge', ...files, '--record', '--out', join(dir, 'x.json')),
    /give --out or --record/,
  );
});

it('eval --json scores methods on test images 0–1: AUCs in [0, 1], IDGI exactly complete, IG2 on relevant references', () => {
  const out = join(dir, 'eval.json');
  const r = run(
    'eval',
    '--model',
    'lenet',
    '--method',
    'ig,idgi,ig2',
    '--samples',
    '2',
    '--steps',
    '8',
    '--json',
    '--out',
    out,
  );
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout);
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
  expect(result.labels).toHaveLength(2);
  expect(result.methods.map((m: { method: string }) => m.method)).toEqual(['ig', 'idgi', 'ig2']);
  for (const m of result.methods) {
    expect(m.images).toBe(2);
    for (const k of ['insertionAuc', 'deletionAuc', 'gini'])
      (expect(m[k]).toBeGreaterThanOrEqual(0), expect(m[k]).toBeLessThanOrEqual(1));
    // a trained LeNet is confident on these digits, so PIC keeps them
    expect(m.picImages).toBeGreaterThan(0);
    expect(m.sicAuc).toBeGreaterThan(0);
  }
  const [ig, idgi] = result.methods;
  expect(idgi.completenessError).toBeLessThan(1e-4);
  expect(ig.completenessError).toBeGreaterThan(idgi.completenessError);
  // deleting pixels in attribution order must hurt more than inserting them helps from nothing
  expect(ig.deletionAuc).toBeLessThan(ig.insertionAuc);
  const bad = run('eval', '--model', 'lenet', '--method', 'ig,magic');
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/unknown method 'magic'/);
  const typo = run('eval', '--model', 'lenet', '--sample', '2');
  expect(typo.status).toBe(1);
  expect(typo.stderr).toMatch(/unknown flag --sample/);
});

/** Exit code 1, nothing on stdout, exactly one stderr line `pathlight: …` matching `pattern`. */
function expectOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pathlight: /);
  expect(lines[0]).toMatch(pattern);
}

describe('strict flags: refused before the engine is made (one line, exit code 1)', () => {
  const explainArgs = ['explain', '--model', onnx, '--input', input, '--method', 'grad'];

  it('every command rejects unknown flags', () => {
    expectOneLineError(
      run('explain', '--model', 'lenet', '--input', 'sample:0', '--method', 'ig', '--stepz', '8'),
      /explain: unknown flag --stepz/,
    );
    expectOneLineError(run('eval', '--model', 'lenet', '--sample', '2'), /eval: unknown flag --sample/);
    expectOneLineError(run('bench', '--frobnicate', '1'), /unknown option --frobnicate/);
  });

  it('empty values and non-decimal numbers are errors naming the flag', () => {
    expectOneLineError(run(...explainArgs, '--target', ''), /--target needs a value, got an empty one/);
    for (const t of ['0x3', '1e0', '-1', ' 3', '3.0'])
      expectOneLineError(
        run(...explainArgs, '--target', t),
        new RegExp(
          `--target must be auto, a class index \\(decimal digits\\) or a class name; got '${t.replace('.', '\\.')}'`,
        ),
      );
    expectOneLineError(run(...explainArgs, '--steps', '0x10'), /--steps needs a positive decimal integer, got '0x10'/);
    expectOneLineError(run(...explainArgs, '--steps', '1e1'), /--steps needs a positive decimal integer, got '1e1'/);
    expectOneLineError(run(...explainArgs, '--steps', '0'), /--steps needs a positive decimal integer, got '0'/);
    expectOneLineError(run(...explainArgs, '--steps'), /--steps needs a value/);
    expectOneLineError(run(...explainArgs, '--out', '--json'), /--out needs a value/);
    expectOneLineError(run(...explainArgs, '--steps', '8', '--steps', '16'), /--steps is given twice/);
    expectOneLineError(
      run('eval', '--model', 'lenet', '--samples', '0x2'),
      /--samples needs a positive decimal integer, got '0x2'/,
    );
    expectOneLineError(run('eval', '--model', 'lenet', '--method', 'ig,'), /eval: --method: unknown method ''/);
    expectOneLineError(
      run('bench', '--steps', '0x10'),
      /--steps takes positive integers \(decimal digits\), got '0x10'/,
    );
  });

  it('a directory given as --input or --model is one line naming the path', () => {
    expectOneLineError(
      run('explain', '--model', onnx, '--input', dir, '--method', 'grad'),
      new RegExp(`--input: ${dir} is a directory`),
    );
    expectOneLineError(
      run('explain', '--model', dir, '--input', input, '--method', 'grad'),
      new RegExp(`--model: ${dir} is a directory`),
    );
    expectOneLineError(run('eval', '--model', dir), new RegExp(`--model: ${dir} is a directory`));
    expectOneLineError(
      run('explain', '--model', onnx, '--input', input, '--method', 'grad', '--baseline', join(dir, 'none.npy')),
      /--baseline: .*none\.npy does not exist/,
    );
  });

  it('a PNG declaring 20 000 × 20 000 pixels is refused from its header', () => {
    // signature + an IHDR declaring the size (the decoder's limits come before any pixel data is read)
    const ihdr = Buffer.alloc(25);
    ihdr.writeUInt32BE(13, 0);
    ihdr.write('IHDR', 4, 'latin1');
    ihdr.writeUInt32BE(20_000, 8);
    ihdr.writeUInt32BE(20_000, 12);
    ihdr[16] = 8;
    const huge = join(dir, 'huge.png');
    writeFileSync(huge, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]));
    expectOneLineError(
      run('explain', '--model', 'lenet', '--input', huge, '--method', 'grad'),
      /huge\.png: the PNG declares 20000×20000 pixels, more than the limit of 16777216/,
    );
    writeFileSync(join(dir, 'not.png'), 'hello');
    expectOneLineError(
      run('explain', '--model', 'lenet', '--input', join(dir, 'not.png'), '--method', 'grad'),
      /not\.png: not a readable PNG/,
    );
    // a size the model does not take is refused from the header too, naming both sizes
    ihdr.writeUInt32BE(30, 8);
    ihdr.writeUInt32BE(20, 12);
    writeFileSync(huge, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]));
    expectOneLineError(
      run('explain', '--model', 'resnet', '--input', huge, '--method', 'grad'),
      /huge\.png: the PNG is 30×20 pixels, expected 32×32 or 28×28/,
    );
  });

  it('bad --out paths are refused up front and leave nothing behind', () => {
    const outs = mkdtempSync(join(tmpdir(), 'pathlight-out-'));
    writeFileSync(join(outs, 'file.txt'), 'a file');
    mkdirSync(join(outs, 'x.png')); // x.npy is writable, x.png is not: neither may be written
    const cases: [string, RegExp][] = [
      [outs, /is a directory/],
      [join(outs, 'file.txt', 'a.npy'), /file\.txt is not a directory/],
      ['/proc/pathlight-test.npy', /cannot create files in \/proc/],
      [join(outs, 'noext'), /use a \.npy or \.png file name/],
      [join(outs, 'x.npy'), /x\.png: is a directory/],
    ];
    for (const [out, pattern] of cases) expectOneLineError(run(...explainArgs, '--out', out), pattern);
    expectOneLineError(
      run(...explainArgs, '--figure', join(outs, 'f.pdf')),
      /--figure .*f\.pdf: use a \.svg or \.png file name/,
    );
    expectOneLineError(
      run(...explainArgs, '--out', join(outs, 'y.npy'), '--figure', join(outs, 'y.png')),
      /--figure .*y\.png is also the heatmap that --out writes/,
    );
    expectOneLineError(
      run('eval', '--model', 'lenet', '--out', join(outs, 'file.txt', 'e.json')),
      /file\.txt is not a directory/,
    );
    expectOneLineError(run('eval', '--model', 'lenet', '--out', join(outs, 'e.txt')), /use a \.json file name/);
    expect(readdirSync(outs).sort()).toEqual(['file.txt', 'x.png']);
    expect(readdirSync(join(outs, 'x.png'))).toEqual([]);
  });

  it('--debug shows the stack; without it, unknown commands and stray arguments are one line too', () => {
    const r = run(...explainArgs, '--steps', '0x10', '--debug');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pathlight: PathlightError: --steps needs a positive decimal integer/);
    expect(r.stderr).toMatch(/\n\s+at /);
    expectOneLineError(run('frobnicate'), /unknown command 'frobnicate'/);
    expectOneLineError(run('explain', 'stray'), /unexpected argument 'stray'/);
  });

  it('pathlight bench --json parses --json (a bad model fails in Node, before Chromium)', () => {
    const t0 = performance.now();
    const r = run('bench', '--json', '--models', 'alexnet');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      "pathlight: bench: unknown model 'alexnet' (zoo: lenet, vgg, resnet, mobilenet)",
    ]);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe('explain on non-image models: .npy in, .npy out', () => {
  const fixtures = [
    { name: 'mlp', shape: [4, 10] },
    { name: 'conv1d', shape: [3, 4, 16] },
  ];
  for (const f of fixtures) {
    for (const method of ['ig', 'idgi']) {
      it(`${f.name} [N, ${f.shape.slice(1).join(', ')}], --method ${method}: the attribution has the input's shape and sums to f(x) − f(x')`, () => {
        const out = join(dir, `${f.name}-${method}.npy`);
        const model = join(ROOT, `test/fixtures/${f.name}.onnx`);
        const r = run(
          'explain',
          '--model',
          model,
          '--input',
          join(ROOT, `test/fixtures/${f.name}_input.npy`),
          '--method',
          method,
          '--steps',
          '64',
          '--out',
          out,
          '--json',
        );
        expect(r.status, r.stderr).toBe(0);
        const summary = JSON.parse(r.stdout);
        expect(summary.files).toEqual({ npy: out });
        expect(existsSync(join(dir, `${f.name}-${method}.png`))).toBe(false);
        const npy = readNpy(new Uint8Array(readFileSync(out)));
        expect(npy.shape).toEqual(f.shape);
        const per = npy.data.length / f.shape[0]!;
        expect(summary.images).toHaveLength(f.shape[0]);
        summary.images.forEach(
          (
            im: { sum: number; fx: number; fBaseline: number; droppedDelta: number; completenessError: number },
            row: number,
          ) => {
            const sum = npy.data.subarray(row * per, (row + 1) * per).reduce((a, b) => a + b, 0);
            const delta = im.fx - im.fBaseline;
            const scale = Math.max(1, Math.abs(delta));
            // the file holds what the summary reports
            expect(Math.abs(sum - im.sum)).toBeLessThan(1e-4 * scale);
            // IDGI is exactly complete; IG up to its quadrature error over the ReLU kinks (64 trapezoid
            // steps: at most 3.5 % of f(x) − f(x') on these rows, measured)
            if (method === 'idgi') expect(Math.abs(sum - (delta - im.droppedDelta))).toBeLessThan(1e-3 * scale);
            else expect(Math.abs(sum - delta)).toBeLessThan(0.06 * Math.abs(delta) + 1e-4);
            expect(npy.data.subarray(row * per, (row + 1) * per).some((v) => v !== 0)).toBe(true);
          },
        );
      });
    }
  }

  it('one row [D] in gives one row out; the default output is .npy', () => {
    const row = join(dir, 'row.npy');
    writeFileSync(
      row,
      writeNpy(
        Float32Array.from({ length: 10 }, (_, i) => i / 10 - 0.4),
        [10],
      ),
    );
    const cwd = mkdtempSync(join(tmpdir(), 'pathlight-cli-cwd-'));
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'explain',
        '--model',
        join(ROOT, 'test/fixtures/mlp.onnx'),
        '--input',
        row,
        '--method',
        'grad',
        '--target',
        '2',
      ],
      { encoding: 'utf8', timeout: 120_000, cwd },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote +out\/mlp-grad\.npy\n/);
    expect(readNpy(new Uint8Array(readFileSync(join(cwd, 'out/mlp-grad.npy')))).shape).toEqual([10]);
  });

  it('image-only inputs and outputs are one-line errors naming the model input shape', () => {
    const mlp = join(ROOT, 'test/fixtures/mlp.onnx');
    const x = join(ROOT, 'test/fixtures/mlp_input.npy');
    const png = run('explain', '--model', mlp, '--input', x, '--method', 'grad', '--out', join(dir, 'mlp.png'));
    expect(png.status).toBe(1);
    expect(png.stderr).toMatch(
      /--out .*mlp\.png: a heatmap PNG needs an image input \[C, H, W\], model mlp takes \[N, 10\]; use --out file\.npy/,
    );
    expect(png.stderr).not.toMatch(/cli\.js:\d+/);
    const figure = run(
      'explain',
      '--model',
      mlp,
      '--input',
      x,
      '--method',
      'grad',
      '--out',
      join(dir, 'mlp.npy'),
      '--figure',
      join(dir, 'mlp.svg'),
    );
    expect(figure.status).toBe(1);
    expect(figure.stderr).toMatch(
      /--figure .*mlp\.svg: a figure needs an image input \[C, H, W\], model mlp takes \[N, 10\]/,
    );
    expect(existsSync(join(dir, 'mlp.svg'))).toBe(false);
    const sample = run('explain', '--model', mlp, '--input', 'sample:0', '--dataset', 'mnist', '--method', 'grad');
    expect(sample.status).toBe(1);
    expect(sample.stderr).toMatch(
      /--input sample:0 \(a bundled image sample\) needs a model with an image input \[C, H, W\]; model mlp takes \[N, 10\], which is not an image/,
    );
    // a valid PNG, refused for the model's input shape, not for its contents
    const image = join(dir, 'image.png');
    writeFileSync(image, encodeGrayPng(new Float32Array(28 * 28), 28, 28));
    const pngIn = run('explain', '--model', mlp, '--input', image, '--method', 'grad');
    expect(pngIn.status).toBe(1);
    expect(pngIn.stderr).toMatch(/\(a PNG\) needs a model with an image input \[C, H, W\]; model mlp takes \[N, 10\]/);
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, writeNpy(new Float32Array(40), [2, 20]));
    const shape = run('explain', '--model', mlp, '--input', wrong, '--method', 'grad');
    expect(shape.status).toBe(1);
    expect(shape.stderr).toMatch(/input .*wrong\.npy has shape \[2, 20\], model mlp expects \[N, 10\] or \[10\]/);
    // the image fixture's 2×3×16×16 values as [6, 256]: the element count fits, the shape does not
    const flat = join(dir, 'flat.npy');
    writeFileSync(flat, writeNpy(readNpy(new Uint8Array(readFileSync(input))).data, [6, 256]));
    const image4d = run('explain', '--model', onnx, '--input', flat, '--method', 'grad');
    expect(image4d.status).toBe(1);
    expect(image4d.stderr).toMatch(
      /flat\.npy has shape \[6, 256\], model small_resnet expects \[N, 3, 16, 16\] or \[3, 16, 16\]/,
    );
    const evalMlp = run('eval', '--model', mlp, '--dataset', 'mnist', '--samples', '2');
    expect(evalMlp.status).toBe(1);
    expect(evalMlp.stderr).toMatch(
      /pathlight eval \(image datasets and pixel metrics only\) needs a model with an image input \[C, H, W\]; model mlp takes \[N, 10\]/,
    );
  });
});

it('explain --model emotion.json (TF.js, @vladmandic/human) --input face.jpg --method idgi: the model\'s preprocessing, "happy", exact completeness', () => {
  const model = join(ROOT, 'node_modules/@vladmandic/human/models/emotion.json');
  const out = join(dir, 'emotion', 'attr.npy');
  const r = run(
    'explain',
    '--model',
    model,
    '--input',
    join(ROOT, 'test/fixtures/face-64.jpg'),
    '--method',
    'idgi',
    '--steps',
    '16',
    '--out',
    out,
    '--json',
    '--quiet',
  );
  expect(r.status, r.stderr).toBe(0);
  expect(progressLines(r.stderr)).toEqual([]); // --quiet
  const summary = JSON.parse(r.stdout);
  expect(summary.model).toBe('emotion');
  expect(summary.images).toHaveLength(1);
  const [image] = summary.images;
  expect(image.className).toBe('happy');
  expect(Math.abs(image.completenessError)).toBeLessThan(1e-4);
  // one image input: the attribution has the model's row shape [C, H, W]
  expect(readNpy(readFileSync(out)).shape).toEqual([1, 64, 64]);
  expect(decodePng(readFileSync(out.replace(/\.npy$/, '.png'))).width).toBe(64);
}, 180_000);

describe('an installed `pathlight bench` (no checkout: no bench/bench.mjs, the TF.js peers absent)', () => {
  it('the package ships dist/bench.js and every library module it imports', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('dist/bench.js');
    const imports = [...readFileSync(join(ROOT, 'dist/bench.js'), 'utf8').matchAll(/from "\.\/(lib\/[^"]+)"/g)].map(
      (m) => `dist/${m[1]}`,
    );
    expect(imports).toContain('dist/lib/gpu/engine.js');
    for (const f of imports) expect(files).toContain(f);
  });

  it('runs in Node where no checkout holds the command, and lists missing peers as not installed', async () => {
    const bench = await import(pathToFileURL(join(ROOT, 'dist/bench.js')).href);
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@tensorflow/tfjs-core'"), { code: 'MODULE_NOT_FOUND' });
    };
    const notInstalled = 'not installed (they are development dependencies; run `npm run bench` in a checkout)';
    expect(bench.peerStatus(missing)).toEqual([
      { package: '@tensorflow/tfjs-core', status: notInstalled },
      { package: '@tensorflow/tfjs-backend-webgpu', status: notInstalled },
    ]);
    // (a checkout has them)
    expect(bench.peerStatus().every((p: { status: string }) => p.status !== notInstalled)).toBe(true);
    // the command's choice: outside a checkout it calls the package's Node bench with the flags
    expect(checkoutBenchScript(mkdtempSync(join(tmpdir(), 'pathlight-installed-')))).toBeNull();
    expect(checkoutBenchScript()).toBe(join(ROOT, 'bench/bench.mjs'));
    const fake = join(dir, 'fake-bench.mjs');
    writeFileSync(fake, 'export async function runInstalledBench(argv) { return { ran: argv }; }\n');
    const printed: string[] = [];
    const log = console.log;
    console.log = (s: string) => printed.push(s);
    try {
      await installedBench(['--json', '--models', 'lenet'], pathToFileURL(fake));
    } finally {
      console.log = log;
    }
    expect(printed.map((s) => JSON.parse(s))).toEqual([{ ran: ['--json', '--models', 'lenet'] }]);
    await expect(installedBench([], pathToFileURL(join(dir, 'none.js')))).rejects.toThrow(
      /bench: neither a checkout's bench\/bench\.mjs nor the package's .*none\.js was found/,
    );
  });
});

describe('explain: free input sizes and the memory budget from the command line (issue #22)', () => {
  it('a model file with free input sizes gets them from a .npy --input, naming them in a note', () => {
    const free = tinyOnnx(FREE_SIZES_MODEL); // input [N, 3, H, W]
    const model = join(dir, 'free.onnx');
    writeFileSync(model, free);
    const x = join(dir, 'free-x.npy');
    writeFileSync(
      x,
      writeNpy(
        Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => (i % 7) / 7),
        [3, 4, 5],
      ),
    );
    const r = run(
      'explain',
      '--model',
      model,
      '--input',
      x,
      '--method',
      'ig',
      '--steps',
      '8',
      '--target',
      '0',
      '--out',
      join(dir, 'free-attr.npy'),
      '--json',
      '--quiet',
    );
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.notes.join('\n')).toMatch(
      /free sizes of the input \[-1, 3, -1, -1\] were fixed by --input: \[3, 4, 5\]/,
    );
    expect(readNpy(readFileSync(join(dir, 'free-attr.npy'))).shape).toEqual([3, 4, 5]);
    // --input-shape that does not fit the input is the input's error, not a silent reshape
    const bad = run(
      'explain',
      '--model',
      model,
      '--input',
      x,
      '--input-shape',
      '3,6,6',
      '--method',
      'grad',
      '--target',
      '0',
      '--out',
      join(dir, 'free-bad.npy'),
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--memory-budget-bytes reaches explain: a row over it is refused with the numbers', () => {
    const r = run(
      'explain',
      '--model',
      'lenet',
      '--input',
      'sample:0',
      '--method',
      'grad',
      '--memory-budget-bytes',
      '1000',
      '--out',
      join(dir, 'budget.npy'),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/above memoryBudgetBytes 1000/);
    expect(existsSync(join(dir, 'budget.npy'))).toBe(false);
  });
});

/**
 * The `pathlight` command (see USAGE). Each command lives in its own module; this one parses the
 * command word and turns any error into one line on stderr (`pathlight: …`; the stack only with
 * --debug) and exit code 1.
 */
import { PathlightError } from '../errors.js';
import { INTEGRATION_RULES } from '../attribution/quadrature.js';
import { parseFlags } from './flags.js';
import { explainCommand } from './explain-command.js';
import { evalMain } from './eval-command.js';
import { benchCommand } from './bench-command.js';
import { predictCommand } from './predict-command.js';
import { layersCommand } from './layers-command.js';
import { sanityCommand } from './sanity-command.js';
import { errorLine } from './error-line.js';

const USAGE = `usage:
  pathlight explain --model <lenet|vgg|resnet|mobilenet|file.onnx|file.safetensors|model.json (TF.js)>
                    --input <file.png|file.jpg|file.npy|sample:N> [--method <method>, default ig]
                    [--dataset mnist|fashion-mnist] [--target <class|auto>] [--steps N]
                    [--rule ${INTEGRATION_RULES.join('|')}] [--output logit|prob]
                    [--baseline black|white|uniform|blur|file.npy] [--out file.npy|file.png] [--json]
                    [--targets 7,2,5|topK (several classes per input: the .npy is [N, T, ...])]
                    [--baseline-set file.npy (K baselines, averaged) [--baseline-draws N (drawn by seed)]]
                    [--quiet (no progress on stderr)]
                    [--figure file.svg|file.png (captioned: input, signed and |attr| maps, colour bars)]
                    [--layout nchw|nhwc (of .npy inputs and baselines)]
                    [--references relevant|file.npy] [--reference-count R]   (ig2)
                    [--method-option key=value ...]   (ig2: eta, clip=lo,hi|none, early-stop; gig: fraction, max-dist; blurig: max-sigma;
                                                      split-ig: ratio, part=left|right)
                    [--preprocess key=value ...]      (.onnx: mean, std, scale, offset, order=rgb|bgr, resize=bilinear|crop, gray=true)
                    [--layer NAME ...]  (layer-ig, idgi, conductance, internal-influence, gradcam, layer-gradxactivation:
                                         the attribution in the layer's shape [N, ...], one .npy per layer)
                    [--neuron NAME:i,j,k]  (neuron-ig: one unit of a layer explained, input-shaped)
  pathlight layers  --model <model> [--json]  (every value the model names, its shape, and which taps split a fusion)
  pathlight eval    --model <model> --method <m1,m2,…> [--dataset d] [--split test|train] [--range a:b | --samples N]
                    [--shard k/n (k from 0)] [--steps N] [--baseline black|white|uniform|blur] [--seed S] [--batch B]
                    [--references R] [--reference-pool M (ig2)] [--metrics m1,…] [--json] [--out file.json | --record] [--quiet]
  pathlight eval    --merge a.json b.json … [--out file.json | --record] [--json]   (shards → one run: docs/eval.md)
  pathlight sanity  --model <zoo|file.safetensors> --method <m1,m2,…> [--dataset d] [--split test|train]
                    [--range a:b | --samples N] [--steps N] [--baseline black|white|uniform|blur] [--seed S]
                    [--orders cascading,independent] [--twin file.safetensors (random-label twin)] [--batch B]
                    [--record (bench/results/sanity/) | --out file.json] [--json] [--quiet]
                    (MPRT, random logit, data randomisation: JSON + SVG figure, docs/sanity.md)
  pathlight predict --model <model> --input <file.npy> [--out file.npy] [--json]
  explain, predict: [--input-shape C,H,W]  (fixes a model file's free input sizes, e.g. [-1, 3, -1, -1];
                    without it, explain's --input or predict's first input fixes them)
                    [--max-model-bytes N]  (load-time limit on each constant tensor and their total; default 1 GiB)
  explain:          [--memory-budget-bytes N]  (GPU memory for one chunk of path points; default 64 MiB)
  pathlight bench   [--json] [benchmark flags: --models a,b --methods x,y --steps 32,64 --reps 5]
                    (a checkout: Chromium with the TF.js peers; an installed package: pathlight's rows in Node)
  explain, eval, predict: --allow-outside (follow a model's symlinked files out of its folder)
  every command: --debug (stack traces on errors), --help
  methods: grad, gradxinput, ig, idgi, gig, gig-idgi, blurig, blurig-idgi, ig2, expected-gradients, split-ig, idg,
           smoothgrad[:<method>]
  layer methods (--layer): layer-ig, idgi, conductance, internal-influence, gradcam, layer-gradxactivation;
  neuron methods (--neuron): neuron-ig`;

const COMMANDS = ['explain', 'eval', 'sanity', 'predict', 'bench', 'layers'];

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help' || rest.includes('--help')) {
    console.log(USAGE);
    return;
  }
  if (command === 'explain') await explainCommand(parseFlags(rest));
  else if (command === 'eval') await evalMain(rest);
  else if (command === 'sanity') await sanityCommand(parseFlags(rest));
  else if (command === 'predict') await predictCommand(parseFlags(rest));
  else if (command === 'bench') await benchCommand(rest);
  else if (command === 'layers') await layersCommand(parseFlags(rest));
  else
    throw new PathlightError(
      `unknown command '${command}' (commands: ${COMMANDS.join(', ')}; pathlight --help for usage)`,
    );
}

const argv = process.argv.slice(2);
main(argv).catch((e: unknown) => {
  console.error(errorLine(e, argv.includes('--debug')));
  process.exit(1);
});

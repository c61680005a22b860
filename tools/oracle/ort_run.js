#!/usr/bin/env node
// Independent oracle: runs an ONNX model on CPU with ONNX Runtime (onnxruntime-node,
// installed by scripts/install-oracle.sh) and writes every output as NAME.npy.
//
//   node tools/oracle/ort_run.js MODEL.onnx --input NAME=FILE.npy ... [--output-dir DIR]
//        [--threads N] [--repeat N] [--opt-level disabled|basic|extended|all] [--verbose]
//   node tools/oracle/ort_run.js MODEL.onnx --list
//
// --input FILE.npy without NAME= is accepted when the model has exactly one input.
// Output files are DIR/NAME.npy with characters outside [A-Za-z0-9._-] in NAME
// replaced by '_' (the printed summary shows the mapping).
// .npy v1.0 is written; v1/v2/v3 are read. dtypes: float32, int8, uint8, int32,
// int64 (also bool, float16, float64, int16, uint16 as raw data). C order only.
// --threads N: intra-op threads (default 1: deterministic, leaves the other core
// free). --repeat N: run N times and report min/median (outputs of the last run)
// and the process's CPU time (user + system) per run after the first.
// --verbose shows ONNX Runtime's own warnings (hidden by default).
// The summary goes to stdout; errors to stderr with a non-zero exit status.
// ONNX Runtime is loaded from $NPUSIM_ORT (a path to the onnxruntime-node package),
// else ${NPUSIM_CACHE:-$HOME/.cache/npusim}/oracle/node_modules/onnxruntime-node,
// else require('onnxruntime-node') (NODE_PATH).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

class UsageError extends Error {}

function fail(msg, code = 1) {
  process.stderr.write(`ort_run: error: ${msg}\n`);
  process.exit(code);
}

// ---------------------------------------------------------------- dtypes
// ORT tensor type <-> .npy descr <-> typed array.
const DTYPES = {
  float32: { descr: '<f4', size: 4, array: Float32Array },
  int8: { descr: '|i1', size: 1, array: Int8Array },
  uint8: { descr: '|u1', size: 1, array: Uint8Array },
  int32: { descr: '<i4', size: 4, array: Int32Array },
  int64: { descr: '<i8', size: 8, array: BigInt64Array },
  bool: { descr: '|b1', size: 1, array: Uint8Array },
  float16: { descr: '<f2', size: 2, array: Uint16Array },
  float64: { descr: '<f8', size: 8, array: Float64Array },
  int16: { descr: '<i2', size: 2, array: Int16Array },
  uint16: { descr: '<u2', size: 2, array: Uint16Array },
};
function dtypeOfDescr(descr) {
  // numpy writes one-byte types as '|i1' but '<i1'/'=i1'/'i1' mean the same.
  const d = descr.replace(/^[=<|]/, '');
  for (const [name, t] of Object.entries(DTYPES)) {
    if (t.descr.slice(1) === d) return name;
  }
  return null;
}

// ---------------------------------------------------------------- .npy
function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e.message}`);
  }
  const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
  if (buf.length < 10 || !buf.subarray(0, 6).equals(magic)) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen;
  let hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else {
    throw new Error(`${file}: unsupported .npy version ${major}.${buf[7]}`);
  }
  const header = buf.subarray(hstart, hstart + hlen).toString(major === 3 ? 'utf8' : 'latin1');
  const descrM = header.match(/'descr'\s*:\s*'([^']+)'/);
  const fortranM = header.match(/'fortran_order'\s*:\s*(True|False)/);
  const shapeM = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!descrM || !fortranM || !shapeM) throw new Error(`${file}: malformed .npy header: ${header.trim()}`);
  if (fortranM[1] === 'True') throw new Error(`${file}: fortran_order arrays are not supported (save a C-contiguous array)`);
  if (descrM[1].startsWith('>')) throw new Error(`${file}: big-endian dtype ${descrM[1]} is not supported`);
  const dtype = dtypeOfDescr(descrM[1]);
  if (!dtype) {
    throw new Error(`${file}: unsupported dtype '${descrM[1]}' (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${file}: bad shape (${shapeM[1]})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const t = DTYPES[dtype];
  const nbytes = count * t.size;
  const dstart = hstart + hlen;
  if (buf.length - dstart !== nbytes) {
    throw new Error(`${file}: ${buf.length - dstart} data bytes, expected ${nbytes} for ${dtype} [${shape}]`);
  }
  const ab = new ArrayBuffer(nbytes); // fresh, aligned copy
  new Uint8Array(ab).set(buf.subarray(dstart, dstart + nbytes));
  const data = new t.array(ab);
  return { dtype, shape, data: dtype === 'bool' ? new Uint8Array(ab) : data };
}

function writeNpy(file, dtype, shape, data) {
  const t = DTYPES[dtype];
  if (!t) throw new Error(`cannot write ${file}: unsupported output type '${dtype}'`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${t.descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1; // magic+version+len, header, '\n'
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 65535) throw new Error(`cannot write ${file}: header too long`);
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const expected = shape.reduce((a, b) => a * b, 1) * t.size;
  if (body.length !== expected) throw new Error(`cannot write ${file}: ${body.length} bytes, expected ${expected}`);
  const tmp = `${file}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------- ORT
function loadOrt() {
  const candidates = [];
  if (process.env.NPUSIM_ORT) candidates.push(path.resolve(process.env.NPUSIM_ORT));
  const cache = process.env.NPUSIM_CACHE || path.join(os.homedir(), '.cache', 'npusim');
  candidates.push(path.join(cache, 'oracle', 'node_modules', 'onnxruntime-node'));
  candidates.push('onnxruntime-node');
  const errors = [];
  for (const c of candidates) {
    try {
      return require(c);
    } catch (e) {
      errors.push(`  ${c}: ${String(e.message).split('\n')[0]}`);
    }
  }
  fail(`cannot load onnxruntime-node (run scripts/install-oracle.sh):\n${errors.join('\n')}`);
}

// ---------------------------------------------------------------- CLI
function parseArgs(argv) {
  const a = { model: null, inputs: [], outputDir: null, list: false, threads: 1, repeat: 1, optLevel: 'all' };
  const needValue = (i, opt) => {
    if (i + 1 >= argv.length) throw new UsageError(`${opt} needs a value`);
    return argv[i + 1];
  };
  const positiveInt = (v, opt) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${opt} expects a positive integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let m;
    if (arg === '-h' || arg === '--help') {
      a.help = true;
    } else if (arg === '--verbose' || arg === '-v') {
      a.verbose = true;
    } else if (arg === '--list') {
      a.list = true;
    } else if (arg === '--input' || arg === '-i') {
      a.inputs.push(needValue(i, arg));
      i++;
    } else if ((m = arg.match(/^--input=(.*)$/))) {
      a.inputs.push(m[1]);
    } else if (arg === '--output-dir' || arg === '-o') {
      a.outputDir = needValue(i, arg);
      i++;
    } else if ((m = arg.match(/^--output-dir=(.*)$/))) {
      a.outputDir = m[1];
    } else if (arg === '--threads') {
      a.threads = positiveInt(needValue(i, arg), arg);
      i++;
    } else if (arg === '--repeat') {
      a.repeat = positiveInt(needValue(i, arg), arg);
      i++;
    } else if (arg === '--opt-level') {
      a.optLevel = needValue(i, arg);
      i++;
      if (!['disabled', 'basic', 'extended', 'all'].includes(a.optLevel)) {
        throw new UsageError(`--opt-level must be disabled, basic, extended or all`);
      }
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option '${arg}'`);
    } else if (a.model === null) {
      a.model = arg;
    } else {
      throw new UsageError(`unexpected argument '${arg}' (one model only)`);
    }
  }
  if (a.help) return a;
  if (!a.model) throw new UsageError('no MODEL.onnx given');
  return a;
}

function usage() {
  const src = fs.readFileSync(__filename, 'utf8').split('\n');
  const end = src.findIndex((l, i) => i > 0 && !l.startsWith('//'));
  return src.slice(1, end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
}

function metaJson(m) {
  if (!m.isTensor) return { name: m.name, tensor: false };
  return { name: m.name, dtype: m.type, shape: m.shape };
}

function stats(dtype, data) {
  if (!['float32', 'float64'].includes(dtype) || data.length === 0) return '';
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const n = data.length - nonFinite;
  const g = (v) => Number(v).toPrecision(5);
  let s = n > 0 ? `  min ${g(min)} max ${g(max)} mean ${g(sum / n)}` : '';
  if (nonFinite) s += `  NON-FINITE ${nonFinite}`;
  return s;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) fail(`${e.message}\n\n${usage()}`, 2);
    throw e;
  }
  if (args.help) {
    process.stdout.write(usage() + '\n');
    return;
  }
  if (!fs.existsSync(args.model)) fail(`model ${args.model} not found`);
  const ort = loadOrt();

  const t0 = process.hrtime.bigint();
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: args.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: args.optLevel,
      logSeverityLevel: args.verbose ? 1 : 3, // hide ORT's warnings (e.g. unused initializers)
    });
  } catch (e) {
    fail(`ONNX Runtime cannot load ${args.model}: ${e.message}`);
  }
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const inMeta = session.inputMetadata;
  const outMeta = session.outputMetadata;

  if (args.list) {
    const j = { model: args.model, inputs: inMeta.map(metaJson), outputs: outMeta.map(metaJson) };
    const text = JSON.stringify(j, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, inner) => {
      return `[${inner.split(/,\s+/).join(', ')}]`; // one line per shape
    });
    process.stdout.write(text + '\n');
    return;
  }

  // Inputs
  const byName = new Map(inMeta.map((m) => [m.name, m]));
  const feeds = {};
  for (const spec of args.inputs) {
    let name;
    let file;
    const eq = spec.indexOf('=');
    if (eq > 0 && byName.has(spec.slice(0, eq))) {
      name = spec.slice(0, eq);
      file = spec.slice(eq + 1);
    } else if (eq > 0 && !fs.existsSync(spec)) {
      fail(`model has no input '${spec.slice(0, eq)}' (inputs: ${inMeta.map((m) => m.name).join(', ')})`);
    } else if (inMeta.length === 1) {
      name = inMeta[0].name;
      file = spec;
    } else {
      fail(`--input ${spec}: give NAME=FILE (inputs: ${inMeta.map((m) => m.name).join(', ')})`);
    }
    if (feeds[name]) fail(`input '${name}' given twice`);
    let arr;
    try {
      arr = readNpy(file);
    } catch (e) {
      fail(e.message);
    }
    const m = byName.get(name);
    if (m.isTensor) {
      if (m.type !== arr.dtype) fail(`input '${name}' is ${m.type} but ${file} holds ${arr.dtype}`);
      const ok = m.shape.length === 0 && arr.shape.length === 0 ? true
        : m.shape.length === arr.shape.length &&
          m.shape.every((d, k) => typeof d !== 'number' || d < 0 || d === arr.shape[k]);
      if (!ok) {
        fail(`input '${name}' has shape [${m.shape.join(', ')}] but ${file} is [${arr.shape.join(', ')}]`);
      }
    }
    feeds[name] = new ort.Tensor(arr.dtype, arr.data, arr.shape);
  }
  const missing = inMeta.filter((m) => !feeds[m.name]).map((m) => {
    return m.isTensor ? `${m.name} (${m.type} [${m.shape.join(', ')}])` : m.name;
  });
  if (missing.length) fail(`missing --input for: ${missing.join('; ')}`);

  // Run
  const times = [];
  let results;
  let cpu0 = process.cpuUsage();
  for (let r = 0; r < args.repeat; r++) {
    if (r === 1) cpu0 = process.cpuUsage(); // the first run warms up: not in the CPU figure
    const t1 = process.hrtime.bigint();
    try {
      results = await session.run(feeds);
    } catch (e) {
      fail(`ONNX Runtime failed to run ${args.model}: ${e.message}`);
    }
    times.push(Number(process.hrtime.bigint() - t1) / 1e6);
  }

  // Outputs
  if (args.outputDir) {
    try {
      fs.mkdirSync(args.outputDir, { recursive: true });
    } catch (e) {
      fail(`cannot create output directory ${args.outputDir}: ${e.message}`);
    }
  }
  const used = new Set();
  for (const m of outMeta) {
    const t = results[m.name];
    let line = `output ${m.name} ${t.type} [${t.dims.join(', ')}]`;
    if (args.outputDir) {
      const base = m.name.replace(/[^A-Za-z0-9._-]/g, '_');
      if (used.has(base)) fail(`two outputs map to the same file name ${base}.npy`);
      used.add(base);
      const file = path.join(args.outputDir, `${base}.npy`);
      try {
        writeNpy(file, t.type, t.dims, t.data);
      } catch (e) {
        fail(e.message);
      }
      line += ` -> ${file}`;
    }
    process.stdout.write(line + stats(t.type, t.data) + '\n');
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / Math.max(1, args.repeat - 1);
  const sorted = [...times].sort((x, y) => x - y);
  const med = sorted[Math.floor(sorted.length / 2)];
  process.stdout.write(
    `time load ${loadMs.toFixed(1)} ms, run ${sorted[0].toFixed(2)} ms` +
      (times.length > 1 ? ` (min of ${times.length}, median ${med.toFixed(2)} ms)` : '') +
      `, cpu ${cpuMs.toFixed(2)} ms per run, ${args.threads} thread(s), ort ${ort.env.versions ? ort.env.versions.common : ''}\n`,
  );
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));

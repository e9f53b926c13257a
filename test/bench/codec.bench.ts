// Per-call protocol codec cost against its floor (one raw RSA-2048 SHA-1 signature), the same codec
// on node-forge for comparison, and DES bill decryption throughput. Run alone:
// `npx tsx test/bench/codec.bench.ts`, or with the rest via `npm run bench`.
import { randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import forge from 'node-forge';
import { decryptBill } from '../../lib/protocol/bill.js';
import { desEcbDecryptNoPadding, desEcbEncryptNoPadding } from '../../lib/protocol/crypto.js';
import { buildRequest, decodeEnvelope, signString } from '../../lib/protocol/envelope.js';
import { chinaTimestamp } from '../../lib/protocol/timestamp.js';
import { platformResponse } from '../protocol/fake-platform.js';
import { forgeDesEcb, forgeKeys, forgeSignWith, forgeVerifyWith } from '../protocol/forge-reference.js';
import { testKeyPair } from '../support/keys.js';

const PAY_BODY = {
  account: '32718',
  tranamt: '10.50',
  acctype: '###',
  mercacc: '100000',
  remark: '食堂消费',
  attach: 'canteen 2, window 5',
  order_no: '20261126000000000001',
};

const quantile = (xs: number[], q: number): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length * q)] ?? Number.NaN;
const median = (xs: number[]): number => quantile(xs, 0.5);
/** A full collection (npm run bench runs node --expose-gc), so that no round pays for another's garbage. */
const collect = (globalThis as { gc?: () => void }).gc;

/** Nanoseconds per call of `run`: the median of `rounds` timed batches after a warm-up. */
function nsPerOp(run: () => void, iterations: number, rounds: number, warmup: number): number {
  for (let i = 0; i < warmup; i += 1) run();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i += 1) run();
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return median(samples);
}

interface PairedRounds {
  /** Per call, ns: the medians over rounds of each round's fastest decile (p10) and median (p50). */
  readonly aP10: number;
  readonly bP10: number;
  readonly aP50: number;
  readonly bP50: number;
  /** Per round b/a of the fastest deciles: the verdict is their median, the quartiles the measurement's spread. */
  readonly ratioP10: readonly [number, number, number];
  /** The same over the quiet rounds only (whose floor p10 was within QUIET of the fastest round's), and how many. */
  readonly quietRatioP10: readonly [number, number, number];
  readonly quietRounds: number;
  /** The same of the per-round medians (these include preemption and GC pauses). */
  readonly ratioP50: readonly [number, number, number];
  readonly rounds: number;
}

const quartiles = (xs: number[]): [number, number, number] => [quantile(xs, 0.25), median(xs), quantile(xs, 0.75)];
/** A round is quiet when its floor ran within 5% of the fastest round's floor: no neighbour slowed the CPU then. */
const QUIET = 1.05;

/** The per-round ratios of the quiet rounds (floor p10 within QUIET of the fastest), as quartiles, and their count. */
function quietOf(floorP10: number[], ratios: number[]): { quietRatioP10: [number, number, number]; quietRounds: number } {
  const fastest = Math.min(...floorP10);
  const quiet = ratios.filter((_, round) => (floorP10[round] ?? Number.POSITIVE_INFINITY) <= fastest * QUIET);
  return { quietRatioP10: quartiles(quiet), quietRounds: quiet.length };
}

/**
 * Times `a` and `b` one call at a time, in the same loop: after a warm-up of both and one full collection, `rounds`
 * rounds of `pairs` alternating calls (no collection between rounds: after one, the codec ran ~3% slower for a while), which of the two goes first alternating
 * too, so both see the same machine state. Per round the fastest decile of each (what preemption, GC and a noisy
 * neighbour cannot inflate) and the median; over rounds, the median and quartiles of the per-round ratios.
 */
function pairedRounds(a: () => void, b: () => void, options: { rounds: number; pairs: number; warmup: number }): PairedRounds {
  for (let i = 0; i < options.warmup; i += 1) {
    a();
    b();
  }
  const time = (run: () => void): number => {
    const start = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - start);
  };
  const perRound = { aP10: [] as number[], bP10: [] as number[], aP50: [] as number[], bP50: [] as number[], r10: [] as number[], r50: [] as number[] };
  collect?.();
  for (let round = 0; round < options.rounds; round += 1) {
    const as: number[] = [];
    const bs: number[] = [];
    for (let i = 0; i < options.pairs; i += 1) {
      if (i % 2 === 0) {
        as.push(time(a));
        bs.push(time(b));
      } else {
        bs.push(time(b));
        as.push(time(a));
      }
    }
    const [a10, b10, a50, b50] = [quantile(as, 0.1), quantile(bs, 0.1), median(as), median(bs)];
    perRound.aP10.push(a10);
    perRound.bP10.push(b10);
    perRound.aP50.push(a50);
    perRound.bP50.push(b50);
    perRound.r10.push(b10 / a10);
    perRound.r50.push(b50 / a50);
  }
  return {
    aP10: median(perRound.aP10),
    bP10: median(perRound.bP10),
    aP50: median(perRound.aP50),
    bP50: median(perRound.bP50),
    ratioP10: quartiles(perRound.r10),
    ratioP50: quartiles(perRound.r50),
    ...quietOf(perRound.aP10, perRound.r10),
    rounds: options.rounds,
  };
}

/**
 * This thread's CPU time so far in ns. Linux: the scheduler's own count (/proc/thread-self/schedstat), so neither
 * time descheduled nor V8's helper threads (which the process-wide process.cpuUsage adds, and which put the
 * codec's CPU time above its wall time in earlier runs) count; elsewhere process.threadCpuUsage, else cpuUsage.
 */
const cpuNow: () => number = (() => {
  try {
    readFileSync('/proc/thread-self/schedstat', 'utf8');
    return () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    const threadCpu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.bind(process);
    const read = threadCpu ?? (() => process.cpuUsage());
    return () => {
      const used = read();
      return (used.user + used.system) * 1000;
    };
  }
})();

interface Interleaved {
  /** CPU ns per call, the median over rounds. */
  readonly a: number;
  readonly b: number;
  /** b / a per round: its median is the verdict, its quartiles show the spread. */
  readonly ratio: number;
  readonly ratioP25: number;
  readonly ratioP75: number;
  readonly rounds: number;
}

/**
 * CPU time (not wall clock: a call descheduled on this shared 2-core machine costs no CPU) per call of `a` and `b`,
 * measured in one interleaved loop: after a warm-up of both, `rounds` rounds of a batch of `a` and a batch of `b`, in
 * alternating order, the heap collected before each round (outside the timing, so no round pays for another's
 * garbage). Each round's ratio b/a compares the two under the same machine state; the verdict is their median.
 */
function interleavedCpu(a: () => void, b: () => void, options: { batch: number; rounds: number; warmup: number }): Interleaved {
  for (let i = 0; i < options.warmup; i += 1) {
    a();
    b();
  }
  const timeBatch = (run: () => void): number => {
    const start = cpuNow();
    for (let i = 0; i < options.batch; i += 1) run();
    return (cpuNow() - start) / options.batch;
  };
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    collect?.();
    const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
    const firstNs = timeBatch(first);
    const secondNs = timeBatch(second);
    const [aNs, bNs] = round % 2 === 0 ? [firstNs, secondNs] : [secondNs, firstNs];
    as.push(aNs);
    bs.push(bNs);
    ratios.push(bNs / aNs);
  }
  return {
    a: median(as),
    b: median(bs),
    ratio: median(ratios),
    ratioP25: quantile(ratios, 0.25),
    ratioP75: quantile(ratios, 0.75),
    rounds: options.rounds,
  };
}

const ms = (ns: number) => `${(ns / 1e6).toFixed(3)} ms/op`;
const pad = (label: string) => label.padEnd(60, ' ');

export async function runCodecBench(): Promise<void> {
  const client = testKeyPair('bench-client');
  const platform = testKeyPair('bench-platform');
  const tripleDesKey = randomBytes(24);
  const at = new Date();
  const responseJson = {
    gdccard_pay: { retcode: '0', errmsg: '', ...PAY_BODY, tranamt: '10.5', out_id: '2026112600000012123' },
  };
  const response = platformResponse({
    errcode: '0', json: responseJson, tripleDesKey, platformPrivateKey: platform.privateKey, order: ['sign', 'errcode', 'request'],
  }).body;
  const decodeOptions = { tripleDesKey, platformPublicKey: platform.publicKey, httpStatus: 200 };

  // A sign string the size of a real call's, for the floor.
  const sample = buildRequest({
    method: 'synjones.onecard.gdccard.pay', rootKey: 'gdccard_pay', body: PAY_BODY, appKey: 'app-key-0001',
    accessToken: 'a'.repeat(64), privateKey: client.privateKey, tripleDesKey, at,
  });
  const floorInput = signString(sample.fields);

  const floor = () => {
    sign('sha1', Buffer.from(floorInput, 'utf8'), client.privateKey);
  };
  const codec = () => {
    buildRequest({
      method: 'synjones.onecard.gdccard.pay', rootKey: 'gdccard_pay', body: PAY_BODY, appKey: 'app-key-0001',
      accessToken: 'a'.repeat(64), privateKey: client.privateKey, tripleDesKey, at,
    });
    decodeEnvelope(response, decodeOptions);
  };
  const paired = pairedRounds(floor, codec, { rounds: 25, pairs: 150, warmup: 500 });
  const cpu = interleavedCpu(floor, codec, { batch: 40, rounds: 61, warmup: 100 });
  const codecNs = paired.bP50;
  const floorNs = paired.aP50;

  // The same path on node-forge: sign, 3DES-CBC, form-encode; parse, verify, decrypt, JSON.
  const fk = forgeKeys(client.privatePem, platform.publicPem);
  const fkPlatformPub = forgeKeys(platform.privatePem, platform.publicPem).publicKey;
  const keyBytes = forge.util.createBuffer(tripleDesKey.toString('binary'));
  const iv = forge.util.createBuffer(Buffer.alloc(8).toString('binary'));
  const forgeCodec = () => {
    const cipher = forge.cipher.createCipher('3DES-CBC', keyBytes.copy());
    cipher.start({ iv: iv.copy() });
    cipher.update(forge.util.createBuffer(forge.util.encodeUtf8(JSON.stringify({ gdccard_pay: PAY_BODY }))));
    cipher.finish();
    const fields: Record<string, string> = {
      access_token: 'a'.repeat(64), app_key: 'app-key-0001', format: 'json', method: 'synjones.onecard.gdccard.pay',
      request: forge.util.encode64(cipher.output.getBytes()), sign_method: 'rsa', timestamp: chinaTimestamp(at), v: '2.0',
    };
    fields.sign = forgeSignWith(fk.privateKey, signString(fields));
    Object.entries(fields).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const got = Object.fromEntries(new URLSearchParams(response.toString('utf8')));
    if (!forgeVerifyWith(fkPlatformPub, signString(got), got.sign ?? '')) throw new Error('forge verify failed');
    const decipher = forge.cipher.createDecipher('3DES-CBC', keyBytes.copy());
    decipher.start({ iv: iv.copy() });
    decipher.update(forge.util.createBuffer(forge.util.decode64(got.request ?? '')));
    decipher.finish();
    JSON.parse(forge.util.decodeUtf8(decipher.output.getBytes()));
  };
  const forgeNs = nsPerOp(forgeCodec, 8, 3, 3);

  // DES bill decryption: a realistic bill body (NUL-padded text, base64), ours vs forge DES-ECB.
  const desKey = randomBytes(8);
  const line = '20160512190107,101987,###,0,201605120013176143,201605121841211150,01,60,1.00,attach\n';
  const text = Buffer.from(line.repeat(Math.ceil((4 << 20) / line.length)));
  const padded = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8)]);
  const body = desEcbEncryptNoPadding(padded, desKey).toString('base64');
  const oursNs = nsPerOp(() => decryptBill(body, desKey), 1, 5, 1);
  const cipherBytes = Buffer.from(body, 'base64');
  const oursRawNs = nsPerOp(() => desEcbDecryptNoPadding(cipherBytes, desKey), 1, 5, 1);
  // The same 4 MB through forge's DES (with its binary-string conversions, as a caller would pay).
  const forgeDesNs = nsPerOp(() => forgeDesEcb(false, cipherBytes, desKey), 1, 3, 1);
  const mbps = (bytes: number, ns: number) => (bytes / (1 << 20)) / (ns / 1e9);

  // Headline: the fastest decile of single calls, floor and codec interleaved in one loop, per round, over the quiet
  // rounds (the floor within 5% of its fastest round): the verdict is the median of their ratios, the quartiles the
  // measurement's own spread. On this shared 2-vCPU machine a neighbour's load slows the codec's many small steps
  // more than one RSA exponentiation: medians of single calls went 1.27x to 1.48x over a few runs, the CPU time of
  // batches 1.31x to 1.47x (CPU time does not escape a neighbour on the same core), while this verdict held 1.267x
  // to 1.271x, the floor itself up to 33% slower in one of those runs.
  const [r10lo, r10, r10hi] = paired.quietRatioP10;
  const [a10lo, a10, a10hi] = paired.ratioP10;
  const [r50lo, r50, r50hi] = paired.ratioP50;
  const load = loadavg()[0] ?? Number.NaN;
  const verdict = paired.quietRounds < 5 ? 'too few quiet rounds to judge: rerun on a quieter machine' : r10 <= 1.3 ? 'PASS' : 'FAIL';
  console.log(`${pad('raw RSA-2048 SHA-1 signature (floor)')}${ms(paired.aP10)}`);
  console.log(`${pad('codec per call (build + decode: sign, 3DES x2, verify)')}${ms(paired.bP10)}`);
  console.log(
    `${pad('ratio codec / floor (target <= 1.30x)')}${r10.toFixed(3)}x  (median of ${paired.quietRounds}/${paired.rounds} quiet interleaved rounds, IQR ${r10lo.toFixed(3)}–${r10hi.toFixed(3)}: ${verdict})`,
  );
  console.log(`${pad('same, all rounds')}${a10.toFixed(3)}x (IQR ${a10lo.toFixed(3)}–${a10hi.toFixed(3)}), load average ${load.toFixed(1)}`);
  console.log(`${pad('same, medians of single calls (preemption, GC)')}${ms(floorNs)} vs ${ms(codecNs)}: ${r50.toFixed(3)}x (IQR ${r50lo.toFixed(3)}–${r50hi.toFixed(3)})`);
  console.log(
    `${pad('same, CPU time of batches (this thread)')}${ms(cpu.a)} vs ${ms(cpu.b)}: ${cpu.ratio.toFixed(3)}x (IQR ${cpu.ratioP25.toFixed(3)}–${cpu.ratioP75.toFixed(3)})`,
  );
  console.log(`${pad('node-forge codec per call')}${ms(forgeNs)}  (${(forgeNs / codecNs).toFixed(1)}x ours, ${(forgeNs / floorNs).toFixed(1)}x floor)`);
  console.log(`${pad('DES bill decrypt, des-ede3 ECB K|K|K (chosen)')}${mbps(padded.length, oursNs).toFixed(1)} MB/s (incl. base64 + NUL strip + UTF-8 decode, ${(padded.length / (1 << 20)).toFixed(1)} MB)`);
  console.log(`${pad('DES bill decrypt, des-ede3 ECB K|K|K, raw cipher only')}${mbps(padded.length, oursRawNs).toFixed(1)} MB/s`);
  console.log(`${pad('DES bill decrypt, node-forge DES-ECB')}${mbps(padded.length, forgeDesNs).toFixed(1)} MB/s (cipher + buffer conversions, same 4.0 MB)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCodecBench();
}

// The JSON text of a request body read as API.md "Input rules" require: RFC 8259 JSON, no member
// name repeated at any depth, and every number taken exactly as written or not at all.
//
// JSON.parse silently keeps the last of two equal member names and rounds a number to the nearest
// double (12.3400000000000000001 → 12.34), so a body could mean something other than what the
// ledger stores. This reader refuses both, naming the field, and otherwise builds what JSON.parse
// builds (own data properties, `__proto__` included as a plain member).
import { ValidationError } from '../errors.js';

/** Deeper than any request of API.md, shallow enough that reading never exhausts the stack. */
const MAX_DEPTH = 32;

/** Reads a JSON text; ValidationError naming the field for a repeated member or an inexact number. */
export function parseJsonText(text: string): unknown {
  const reader = new Reader(text);
  reader.skipWhitespace();
  const value = reader.value([], 0);
  reader.skipWhitespace();
  if (reader.position < text.length) reader.fail('unexpected text after the JSON value');
  return value;
}

/**
 * True when the decimal `written` (JSON number syntax) is exactly the decimal of the double it
 * reads as: `12.340` and `1234e-2` are (12.34), `12.3400000000000000001` and `1e400` are not.
 */
export function isExactNumber(written: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  return canonicalDecimal(written) === canonicalDecimal(String(value));
}

/** "-0012.3400e1" → "-123.4": sign, digits without leading/trailing zeros, point placed; zero → "0". */
function canonicalDecimal(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`;
  let point = whole.length + Number(exponent);
  const leading = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leading);
  point -= leading;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return '0';
  // Beyond any double (|exponent| ≤ 324): no need to write the zeros out to know it differs.
  if (Math.abs(point) > 400) return `${sign}${digits}e${point}`;
  const body =
    point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? `${digits}${'0'.repeat(point - digits.length)}` : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}${body}`;
}

type Path = readonly (string | number)[];

function fieldOf(path: Path): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  return out || 'body';
}

function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Reader {
  position = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new ValidationError(`request body is not valid JSON: ${reason} at character ${this.position + 1}`, 'body');
  }

  skipWhitespace(): void {
    const { text } = this;
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.position++;
    }
  }

  value(path: Path, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new ValidationError(`${fieldOf(path)}: nested deeper than ${MAX_DEPTH} levels`, fieldOf(path));
    const char = this.text[this.position];
    if (char === '{') return this.object(path, depth);
    if (char === '[') return this.array(path, depth);
    if (char === '"') return this.string();
    if (char === 't') return this.literal('true', true);
    if (char === 'f') return this.literal('false', false);
    if (char === 'n') return this.literal('null', null);
    return this.number(path);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) this.fail('unexpected token');
    this.position += word.length;
    return value;
  }

  private number(path: Path): number {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail(this.position >= this.text.length ? 'unexpected end' : 'unexpected token');
    const written = match[0];
    this.position += written.length;
    const value = Number(written);
    if (!isExactNumber(written, value)) {
      const field = fieldOf(path);
      const decimals = /\.(\d*)$/.exec(canonicalDecimal(written))?.[1]?.length ?? 0;
      const why = decimals > 2 ? 'has more than two decimals' : 'has more digits than a number can be read with exactly';
      throw new ValidationError(`${field}: the number ${excerpt(written)} ${why}`, field);
    }
    return value;
  }

  string(): string {
    const { text } = this;
    this.position++; // opening quote
    let out = '';
    let start = this.position;
    for (;;) {
      if (this.position >= text.length) this.fail('unterminated string');
      const code = text.charCodeAt(this.position);
      if (code === 0x22) {
        out += text.slice(start, this.position);
        this.position++;
        return out;
      }
      if (code < 0x20) this.fail('control character in a string (escape it)');
      if (code !== 0x5c) {
        this.position++;
        continue;
      }
      out += text.slice(start, this.position);
      const escape = text[this.position + 1];
      if (escape === 'u') {
        const hex = text.slice(this.position + 2, this.position + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('bad \\u escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.position += 6;
      } else {
        const replacement = escape === undefined ? undefined : ESCAPES[escape];
        if (replacement === undefined) this.fail('bad escape');
        out += replacement;
        this.position += 2;
      }
      start = this.position;
    }
  }

  private array(path: Path, depth: number): unknown[] {
    this.position++;
    const out: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      out.push(this.value([...path, out.length], depth + 1));
      this.skipWhitespace();
      const char = this.text[this.position++];
      if (char === ']') return out;
      if (char !== ',') this.fail(char === undefined ? 'unexpected end' : 'expected , or ]');
    }
  }

  private object(path: Path, depth: number): Record<string, unknown> {
    this.position++;
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail('expected a member name');
      const name = this.string();
      if (seen.has(name)) {
        const field = fieldOf([...path, name]);
        throw new ValidationError(`${field}: the member ${JSON.stringify(excerpt(name))} is repeated; each name may appear once`, field);
      }
      seen.add(name);
      this.skipWhitespace();
      if (this.text[this.position++] !== ':') this.fail('expected :');
      this.skipWhitespace();
      const value = this.value([...path, name], depth + 1);
      // A data property like JSON.parse makes: `__proto__` is a member, never the prototype.
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const char = this.text[this.position++];
      if (char === '}') return out;
      if (char !== ',') this.fail(char === undefined ? 'unexpected end' : 'expected , or }');
    }
  }
}

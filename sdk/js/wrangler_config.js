/**
 * Reading a wrangler configuration the way wrangler does, for era-storage/platform's
 * getPlatformProxy(): wrangler.jsonc / wrangler.json (JSON with comments and trailing commas) or
 * wrangler.toml (the TOML wrangler files use: tables, arrays of tables, dotted keys, inline tables,
 * strings, numbers, booleans, arrays). No dependencies.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const CONFIG_NAMES = ['wrangler.jsonc', 'wrangler.json', 'wrangler.toml'];

/** JSONC → value: comments and trailing commas dropped outside strings. */
function parseJsonc(text, file = 'wrangler.jsonc') {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new SyntaxError(`${file}: unterminated /* comment`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
      i = end + 1;
    } else {
      out += c;
    }
  }
  // Trailing commas: a comma followed only by whitespace before } or ].
  out = out.replace(/,(\s*[}\]])/g, '$1');
  try {
    return JSON.parse(out);
  } catch (e) {
    throw new SyntaxError(`${file}: ${e.message}`);
  }
}

/** The TOML subset wrangler.toml files use → plain object. */
function parseToml(text, file = 'wrangler.toml') {
  const root = {};
  let table = root;
  let pos = 0;
  let line = 1;
  const fail = (msg) => {
    throw new SyntaxError(`${file}:${line}: ${msg}`);
  };
  const peek = () => text[pos];
  const skipWs = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
  };
  const skipWsNl = () => {
    for (;;) {
      skipWs();
      if (text[pos] === '#') while (pos < text.length && text[pos] !== '\n') pos++;
      if (text[pos] === '\n' || text[pos] === '\r') {
        if (text[pos] === '\n') line++;
        pos++;
      } else break;
    }
  };
  const parseKey = () => {
    const parts = [];
    for (;;) {
      skipWs();
      if (peek() === '"' || peek() === "'") parts.push(parseString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(text.slice(pos));
        if (!m) fail(`expected a key at ${JSON.stringify(text.slice(pos, pos + 20))}`);
        parts.push(m[0]);
        pos += m[0].length;
      }
      skipWs();
      if (peek() !== '.') return parts;
      pos++;
    }
  };
  const parseString = () => {
    const q = text[pos];
    const triple = text.startsWith(q.repeat(3), pos);
    pos += triple ? 3 : 1;
    if (triple && text[pos] === '\n') (pos++, line++);
    let s = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      if (triple ? text.startsWith(q.repeat(3), pos) : text[pos] === q) {
        pos += triple ? 3 : 1;
        return s;
      }
      const c = text[pos];
      if (c === '\n') {
        if (!triple) fail('newline in a string');
        line++;
      }
      if (c === '\\' && q === '"') {
        const e = text[pos + 1];
        const simple = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
        if (e in simple) (s += simple[e], (pos += 2));
        else if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          s += String.fromCodePoint(parseInt(text.slice(pos + 2, pos + 2 + n), 16));
          pos += 2 + n;
        } else fail(`bad escape \\${e}`);
        continue;
      }
      s += c;
      pos++;
    }
  };
  const parseValue = () => {
    skipWs();
    const c = peek();
    if (c === '"' || c === "'") return parseString();
    if (c === '[') {
      pos++;
      const arr = [];
      for (;;) {
        skipWsNl();
        if (peek() === ']') return (pos++, arr);
        arr.push(parseValue());
        skipWsNl();
        if (peek() === ',') pos++;
        else if (peek() !== ']') fail('expected , or ] in an array');
      }
    }
    if (c === '{') {
      pos++;
      const obj = {};
      for (;;) {
        skipWs();
        if (peek() === '}') return (pos++, obj);
        const key = parseKey();
        if (peek() !== '=') fail('expected = in an inline table');
        pos++;
        setPath(obj, key, parseValue());
        skipWs();
        if (peek() === ',') pos++;
        else if (peek() !== '}') fail('expected , or } in an inline table');
      }
    }
    // Dates and times stay text (as era-emu's reader keeps them): wrangler's own fields are strings.
    const d = /^(\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?=[\s,\]}#]|$)/.exec(text.slice(pos));
    if (d) {
      pos += d[0].length;
      return d[0];
    }
    const m = /^(true|false|[+-]?(?:0x[0-9a-fA-F_]+|[0-9_]+(?:\.[0-9_]+)?(?:[eE][+-]?[0-9]+)?)|inf|nan)/.exec(text.slice(pos));
    if (!m) fail(`unsupported value ${JSON.stringify(text.slice(pos, pos + 20))}`);
    pos += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    return Number(m[0].replace(/_/g, ''));
  };
  const setPath = (obj, keys, value) => {
    let o = obj;
    for (const k of keys.slice(0, -1)) {
      if (o[k] === undefined) o[k] = {};
      o = o[k];
    }
    const last = keys[keys.length - 1];
    if (o[last] !== undefined) fail(`key ${keys.join('.')} defined twice`);
    o[last] = value;
  };
  for (;;) {
    skipWsNl();
    if (pos >= text.length) return root;
    if (peek() === '[') {
      const arrayTable = text[pos + 1] === '[';
      pos += arrayTable ? 2 : 1;
      const keys = parseKey();
      if (text.slice(pos, pos + (arrayTable ? 2 : 1)) !== (arrayTable ? ']]' : ']')) fail('unclosed table header');
      pos += arrayTable ? 2 : 1;
      let o = root;
      for (const k of keys.slice(0, -1)) {
        if (o[k] === undefined) o[k] = {};
        o = Array.isArray(o[k]) ? o[k][o[k].length - 1] : o[k];
      }
      const last = keys[keys.length - 1];
      if (arrayTable) {
        if (o[last] === undefined) o[last] = [];
        if (!Array.isArray(o[last])) fail(`${keys.join('.')} is not an array of tables`);
        o[last].push({});
        table = o[last][o[last].length - 1];
      } else {
        if (o[last] === undefined) o[last] = {};
        table = o[last];
      }
    } else {
      const key = parseKey();
      if (peek() !== '=') fail(`expected = after ${key.join('.')}`);
      pos++;
      setPath(table, key, parseValue());
    }
    skipWs();
    if (peek() === '#') while (pos < text.length && text[pos] !== '\n') pos++;
    if (pos < text.length && peek() !== '\n' && peek() !== '\r') fail('expected the end of the line');
  }
}

/** The config file to use: `configPath`, else the first of wrangler.jsonc/json/toml in `dir`. */
function findConfig(configPath, dir = process.cwd()) {
  if (configPath) return path.resolve(dir, configPath);
  for (const name of CONFIG_NAMES) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function readConfig(file) {
  const text = fs.readFileSync(file, 'utf8');
  return file.endsWith('.toml') ? parseToml(text, file) : parseJsonc(text, file);
}

module.exports = { parseJsonc, parseToml, findConfig, readConfig, CONFIG_NAMES };

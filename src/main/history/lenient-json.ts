/**
 * Parses a freqtrade config file. freqtrade reads configs with rapidjson in
 * `PM_COMMENTS | PM_TRAILING_COMMAS` mode (freqtrade/configuration/load_config.py), so real
 * configs carry `//` and `/* *\/` comments and trailing commas that JSON.parse rejects. Both are
 * removed outside strings, then the text goes to JSON.parse. Throws what JSON.parse throws.
 */
export function parseLenientJson(text: string): unknown {
  return JSON.parse(toStrictJson(text));
}

/** One pass: strings are copied as they are, comments become a space, a comma before `}`/`]` goes. */
function toStrictJson(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    const afterComment = endOfComment(text, i);
    if (afterComment !== i) {
      out += ' ';
      i = afterComment;
      continue;
    }
    if (ch === ',') {
      const next = text[skipBlank(text, i + 1)];
      if (next === '}' || next === ']') {
        i++;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

/** Index past the `//` or `/* *\/` comment starting at `i`, or `i` when none starts there. */
function endOfComment(text: string, i: number): number {
  if (text[i] !== '/') return i;
  if (text[i + 1] === '/') {
    const eol = text.indexOf('\n', i + 2);
    return eol < 0 ? text.length : eol;
  }
  if (text[i + 1] === '*') {
    const close = text.indexOf('*/', i + 2);
    return close < 0 ? text.length : close + 2;
  }
  return i;
}

/** Index of the next character that is neither whitespace nor part of a comment. */
function skipBlank(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    const after = endOfComment(text, i);
    if (after === i) return i;
    i = after;
  }
}

/** Index just past the string literal that starts at `start` (a `"`), honouring escapes. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return text.length;
}

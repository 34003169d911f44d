/**
 * A small Python tokenizer for the code panel: enough to colour keywords, strings, numbers,
 * comments and calls, without shipping a general highlighter in the bundle.
 */
export type TokenKind = "keyword" | "string" | "number" | "comment" | "name" | "call" | "plain";

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  (
    "False None True and as assert class def del elif else for from if import in is " +
    "lambda not or pass raise return self super while with yield"
  ).split(" "),
);

// One alternative per token kind, tried left to right at each position.
const PATTERN =
  /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)(?=\s*\()|([A-Za-z_][A-Za-z0-9_]*)/g;

export function tokenizePython(source: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of source.matchAll(PATTERN)) {
    const at = m.index ?? 0;
    if (at > last) tokens.push({ kind: "plain", text: source.slice(last, at) });
    const [text, comment, str, num, call] = m;
    let kind: TokenKind;
    if (comment) kind = "comment";
    else if (str) kind = "string";
    else if (num) kind = "number";
    else if (KEYWORDS.has(text)) kind = "keyword";
    else if (call) kind = "call";
    else kind = "name";
    tokens.push({ kind, text });
    last = at + text.length;
  }
  if (last < source.length) tokens.push({ kind: "plain", text: source.slice(last) });
  return tokens;
}

/**
 * The tokens of each line, a token across lines (a docstring) cut at its newlines. Every line
 * but the last keeps its newline, so the lines joined give the source back.
 */
export function tokenLines(tokens: Token[]): Token[][] {
  const lines: Token[][] = [[]];
  for (const token of tokens) {
    const pieces = token.text.split("\n");
    pieces.forEach((text, i) => {
      const last = i === pieces.length - 1;
      if (text || !last) lines[lines.length - 1].push({ kind: token.kind, text: last ? text : `${text}\n` });
      if (!last) lines.push([]);
    });
  }
  if (lines.length > 1 && lines[lines.length - 1].length === 0) lines.pop();
  return lines;
}

/** Whether two lines of tokens draw the same. */
export function sameLine(a: Token[], b: Token[]): boolean {
  return a.length === b.length && a.every((t, i) => t.kind === b[i].kind && t.text === b[i].text);
}

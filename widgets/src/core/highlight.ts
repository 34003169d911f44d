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

// JSON.parse quotes the text it chokes on ("Unexpected token 'r', "root:x:0:0"... is not valid JSON"):
// an error message built from it would echo the bytes of whatever file was named, ours or not. This
// says where and what, never the text.

/** Why JSON.parse refused some text, in words that quote none of it. */
export function jsonFault(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const at = /at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(m);
  if (at) return at[2] ? `error at line ${at[2]} column ${at[3]}` : `error at character ${Number(at[1]) + 1}`;
  if (/Unexpected end of JSON input/.test(m)) return 'the text ends early (empty or cut short)';
  if (/^Unexpected token/.test(m)) return 'unexpected character (is it a JSON file at all?)';
  return 'not parseable';
}

/**
 * The deepest JSON body the API parses. No route takes more than a few levels; class-transformer
 * and class-validator recurse once per level, so a few thousand levels overflowed the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether a JSON text nests deeper than `limit`, in one pass over its characters without parsing
 * it, so it runs before anything could recurse. Brackets inside strings do not count; it stops
 * as soon as the limit is passed.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > limit) return true;
    } else if (c === '}' || c === ']') depth--;
  }
  return false;
}

const clientError = (status: number, message: string, type: string): Error =>
  Object.assign(new Error(message), { status, type });

/** Body-parser's `verify` hook, given the raw body: one nested too deep is a 400 before it is parsed. */
export function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  let text: string;
  try {
    text = new TextDecoder(encoding || 'utf-8').decode(body);
  } catch {
    throw clientError(415, 'unsupported body charset', 'charset.unsupported');
  }
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
    throw clientError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'entity.too.deep');
}

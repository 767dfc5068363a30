/**
 * A deliberately tiny "shell": a command is plain ASCII words separated by spaces, and nothing else.
 * There is no quoting, escaping or expansion to get right, because any character a POSIX shell could
 * give a meaning to is refused before a word is ever formed. The words that come out can be joined
 * with single spaces and handed to a remote shell unchanged.
 */

export const SHELL_WORDS_MAX_LENGTH = 512;
/** Longer than any allowed command shape; a cheap bound before any matching. */
export const SHELL_WORDS_MAX_WORDS = 16;

export type ShellWordsRuleId =
  | 'not-a-string'
  | 'empty'
  | 'too-long'
  | 'too-many-words'
  | 'non-ascii'
  | 'control-character'
  | 'shell-chaining'
  | 'shell-redirect'
  | 'shell-substitution'
  | 'shell-glob'
  | 'shell-quote'
  | 'shell-escape'
  | 'shell-special'
  | 'disallowed-character';

export type ShellWordsResult =
  | { readonly ok: true; readonly words: readonly string[] }
  | { readonly ok: false; readonly ruleId: ShellWordsRuleId; readonly reason: string };

/** The only characters a word may contain: none of them means anything to sh, bash, dash or zsh. */
const WORD_CHARACTER = /^[A-Za-z0-9._/-]$/;

/** Why each refused printable ASCII character is dangerous, so the audit says more than "bad input". */
const METACHARACTERS: Readonly<Record<string, readonly [ShellWordsRuleId, string]>> = Object.freeze({
  ';': ['shell-chaining', 'runs a second command'],
  '&': ['shell-chaining', 'chains or backgrounds commands'],
  '|': ['shell-chaining', 'pipes into another command'],
  '<': ['shell-redirect', 'redirects input'],
  '>': ['shell-redirect', 'redirects output'],
  $: ['shell-substitution', 'expands a variable or substitutes a command'],
  '`': ['shell-substitution', 'substitutes a command'],
  '(': ['shell-substitution', 'opens a subshell'],
  ')': ['shell-substitution', 'closes a subshell'],
  '{': ['shell-substitution', 'groups commands or expands braces'],
  '}': ['shell-substitution', 'groups commands or expands braces'],
  '*': ['shell-glob', 'is a glob'],
  '?': ['shell-glob', 'is a glob'],
  '[': ['shell-glob', 'is a glob or a test'],
  ']': ['shell-glob', 'is a glob or a test'],
  "'": ['shell-quote', 'is a quote; no quoting is accepted'],
  '"': ['shell-quote', 'is a quote; no quoting is accepted'],
  '\\': ['shell-escape', 'escapes the next character'],
  '!': ['shell-special', 'expands history or negates a pipeline'],
  '~': ['shell-special', 'expands to a home directory'],
  '#': ['shell-special', 'starts a comment'],
  '=': ['shell-special', 'assigns a variable'],
});

const CONTROL_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'NUL',
  0x09: 'tab',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x7f: 'DEL',
});

const codePoint = (value: number): string => `U+${value.toString(16).toUpperCase().padStart(4, '0')}`;

const refuse = (ruleId: ShellWordsRuleId, reason: string): ShellWordsResult =>
  Object.freeze({ ok: false, ruleId, reason });

/**
 * Splits a command into words, or says why it cannot. Characters are checked on the raw input,
 * before any trimming, so nothing (a tab, a no-break space, a byte-order mark) is quietly dropped.
 * Reasons never quote the offending character itself: an audit line must not carry a control code
 * or a direction override.
 */
export function splitShellWords(input: unknown): ShellWordsResult {
  if (typeof input !== 'string') return refuse('not-a-string', `a command must be a string, not a ${typeof input}`);
  if (input.length > SHELL_WORDS_MAX_LENGTH)
    return refuse('too-long', `the command is ${input.length} characters long; the limit is ${SHELL_WORDS_MAX_LENGTH}`);

  let position = 0;
  for (const character of input) {
    position += 1;
    if (character === ' ' || WORD_CHARACTER.test(character)) continue;
    const value = character.codePointAt(0) ?? 0;
    if (value > 0x7f)
      return refuse(
        'non-ascii',
        `non-ASCII character ${codePoint(value)} at position ${position}: only plain ASCII is accepted, ` +
          'which rules out look-alike letters, full-width forms and invisible or direction-changing characters',
      );
    if (value < 0x20 || value === 0x7f) {
      const name = CONTROL_NAMES[value] ?? 'control character';
      return refuse('control-character', `${name} (${codePoint(value)}) at position ${position} is not accepted`);
    }
    const known = METACHARACTERS[character];
    if (known) {
      const [ruleId, why] = known;
      return refuse(ruleId, `${JSON.stringify(character)} at position ${position} ${why}`);
    }
    return refuse(
      'disallowed-character',
      `${JSON.stringify(character)} at position ${position} is not accepted: words may only hold letters, digits and . _ / -`,
    );
  }

  const words = input.split(' ').filter((word) => word !== '');
  if (words.length === 0) return refuse('empty', 'the command is empty');
  if (words.length > SHELL_WORDS_MAX_WORDS)
    return refuse('too-many-words', `the command has ${words.length} words; the limit is ${SHELL_WORDS_MAX_WORDS}`);
  return Object.freeze({ ok: true, words: Object.freeze(words) });
}

/**
 * The one way text from a server enters an error, a result, a log line or a span: scrubbed of credentials, then cut
 * to a bound.
 *
 * @internal
 */
import { BODY_EXCERPT_LENGTH, excerpt } from "../FcmError.js"
import { scrub } from "./jwt.js"

/**
 * The longest code taken from a server (`error.status`, an `FcmError` code, a legacy `error`) that an outcome
 * carries; a longer one is cut, with an ellipsis.
 *
 * @internal
 */
export const CODE_LENGTH = 64

/**
 * Text from a server, made safe to show: every given secret and anything shaped like a bearer token or a JWT
 * replaced by `<redacted>`, whitespace collapsed, at most `max` characters (and an ellipsis when cut).
 *
 * @internal
 */
export const serverText = (
  text: string,
  secrets: ReadonlyArray<string> = [],
  max: number = BODY_EXCERPT_LENGTH
): string => {
  // Scrubbing reads the whole text: a body of megabytes is cut first, keeping room for a secret that straddles the
  // bound (and for the whitespace the excerpt collapses).
  let longest = 0
  for (const secret of secrets) longest = Math.max(longest, secret.length)
  const room = max * 4 + longest + 16
  return excerpt(scrub(text.length > room ? text.slice(0, room) : text, secrets), max)
}

/**
 * A code from a server, bounded to {@link CODE_LENGTH}; short codes (every code FCM documents) pass as they are.
 *
 * @internal
 */
export const serverCode = (code: string, secrets: ReadonlyArray<string> = []): string =>
  code.length <= CODE_LENGTH && !/\s/.test(code) && !secrets.some((s) => s.length > 0 && code.includes(s))
    ? code
    : serverText(code, secrets, CODE_LENGTH)

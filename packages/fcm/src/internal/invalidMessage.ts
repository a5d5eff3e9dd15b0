/**
 * A failed decoding of a message told as an `InvalidMessage`: its first issue, at the path of the field in the
 * message's own notation (`tokens[3]`, `data[""]`, `android.notification.color`).
 *
 * @internal
 */
import * as ParseResult from "effect/ParseResult"
import { InvalidMessage } from "../FcmError.js"

const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (segment === "") out += `[""]` // an empty key, which a dot would hide
    else out += out.length === 0 ? String(segment) : `.${String(segment)}`
  }
  return out.length === 0 ? "message" : out
}

/** The first issue of `error`, its field under `prefix` when given. @internal */
export const fromParseError = (error: ParseResult.ParseError, prefix?: string): InvalidMessage => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const issue = issues[0]
  const field = issue === undefined ? "message" : formatPath(issue.path)
  return new InvalidMessage({
    field: prefix === undefined ? field : field === "message" ? prefix : `${prefix}.${field}`,
    reason: issue === undefined ? "is not a valid message" : issue.message
  })
}

/**
 * Building blocks of the wire schemas: a field renamed between the camelCase a caller writes and the name the wire
 * uses, enums and durations as the wire writes them, the `extra` escape hatch, and the guard that keeps a `__proto__`
 * key from being silently dropped by a JavaScript object.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import type { FastEncode } from "./encoder.js"
import { dropUndefined, FastEncodeId, structWithExtra, writesNoUndefined } from "./encoder.js"

/**
 * The annotation that says what a field looks like on the wire, for the generated field tables.
 *
 * @internal
 */
export const WireFormId: unique symbol = Symbol.for("@effect-fcm/fcm/WireForm")

/** `must be …` messages, as every schema of the library words them. @internal */
export const mustBe = (what: string) => ({ message: () => `must be ${what}` })

/**
 * An optional field: on the type side it may be absent or `undefined`, on the wire it is absent (never `undefined`).
 *
 * @internal
 */
export const optional = <A, I, R>(schema: Schema.Schema<A, I, R>) =>
  Schema.optionalToOptional(schema, Schema.UndefinedOr(Schema.typeSchema(schema)), {
    decode: (o) => o,
    encode: dropUndefined<A>
  })

/**
 * An optional field whose wire name differs from its camelCase name: `wire("collapse_key", NonEmpty)` as the value
 * of `collapseKey`.
 *
 * @internal
 */
export const wire = <const K extends string, A, I, R>(key: K, schema: Schema.Schema<A, I, R>) =>
  optional(schema).pipe(Schema.fromKey(key))

/**
 * A closed set of strings: one of the literals, with a message that lists them.
 *
 * @internal
 */
export const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.declare(
    (u: unknown): u is L[number] => typeof u === "string" && literals.includes(u),
    {
      ...mustBe(`one of ${literals.map((l) => `"${l}"`).join(", ")}`),
      [WireFormId]: literals.map((l) => `\`"${l}"\``).join(" | ")
    }
  )

/**
 * An enum the wire writes in upper case with a prefix (`"PRIORITY_HIGH"`) and callers in lower case (`"high"`).
 *
 * @internal
 */
export const upperEnum = <const L extends ReadonlyArray<string>>(prefix: string, ...literals: L) =>
  Schema.transform(oneOf(...literals.map((l) => `${prefix}${l.toUpperCase()}`)), oneOf(...literals), {
    strict: false,
    decode: (w: string) => w.slice(prefix.length).toLowerCase(),
    encode: (t: string) => `${prefix}${t.toUpperCase()}`
  })

/**
 * A duration in milliseconds as a protobuf Duration string: seconds with up to nine fractional digits, trailing
 * zeros removed.
 *
 * @internal
 */
export const durationFromMillis = (millis: number): string => {
  if (Number.isInteger(millis)) {
    const seconds = Math.floor(millis / 1000)
    const rest = millis - seconds * 1000
    return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, "0").replace(/0+$/, "")}s`
  }
  const total = Math.round(millis * 1_000_000)
  const seconds = Math.floor(total / 1_000_000_000)
  const nanos = total - seconds * 1_000_000_000
  return nanos === 0 ? `${seconds}s` : `${seconds}.${String(nanos).padStart(9, "0").replace(/0+$/, "")}s`
}

const DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/

/** The milliseconds of a Duration string the pattern accepted. @internal */
export const millisFromDuration = (duration: string): number => {
  const match = DURATION.exec(duration)!
  const nanos = match[2] === undefined ? 0 : Number(match[2].padEnd(9, "0"))
  return Number(match[1]) * 1000 + nanos / 1_000_000
}

/**
 * A number of milliseconds on the type side, a Duration string (`"3.5s"`) on the wire.
 *
 * @internal
 */
export const Duration = (millis: Schema.Schema<number>) =>
  Schema.transform(
    Schema.String.annotations(mustBe("a duration string such as \"3.5s\"")).pipe(
      Schema.pattern(DURATION, { message: () => "must be a duration such as \"3.5s\" (seconds, up to 9 decimals)" })
    ),
    millis,
    { strict: true, decode: millisFromDuration, encode: durationFromMillis }
  ).annotations({ [WireFormId]: "duration string (`\"3.5s\"`), from milliseconds" })

// ---------------------------------------------------------------------------------------------------------------------
// __proto__
// ---------------------------------------------------------------------------------------------------------------------

const PROTO = "__proto__"

const hasOwn = (u: unknown, key: string): boolean =>
  typeof u === "object" && u !== null && Object.prototype.hasOwnProperty.call(u, key)

const protoIssue = (input: unknown, ast: AST.AST) =>
  new ParseResult.Pointer(
    PROTO,
    input,
    new ParseResult.Type(
      ast,
      (input as Record<string, unknown>)[PROTO],
      "is a key a JavaScript object cannot carry: rename it"
    )
  )

/** An object without its `undefined` members (a copy, only when it has some). */
const withoutUndefined = <I>(wire: I): I => {
  if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return wire
  let out: Record<string, unknown> | undefined
  for (const key of Object.keys(wire)) {
    if ((wire as Record<string, unknown>)[key] === undefined) {
      out ??= { ...(wire as Record<string, unknown>) }
      delete out[key]
    }
  }
  return (out ?? wire) as I
}

/**
 * An object schema that refuses a `__proto__` key by name: decoding builds a fresh object by assignment, and
 * assigning `__proto__` sets the prototype instead of a key, so the key would otherwise vanish without a word. Its
 * wire object has no `undefined` members (free-form keys may be `undefined` on the type side).
 *
 * @internal
 */
export const noProto = <A, I, R>(self: Schema.Schema<A, I, R>): Schema.Schema<A, I, R> => {
  const distinct = AST.typeAST(self.ast) !== self.ast
  return Schema.declare([self], {
    decode: (s) => (input, options, ast) =>
      hasOwn(input, PROTO) ? ParseResult.fail(protoIssue(input, ast)) : ParseResult.decodeUnknown(s)(input, options),
    encode: (s) => (input, options, ast) =>
      hasOwn(input, PROTO)
        ? ParseResult.fail(protoIssue(input, ast))
        : distinct && s.ast !== self.ast
        ? typeSidePass(input)
        : ParseResult.map(ParseResult.encodeUnknown(s)(input, options), withoutUndefined)
  }, {
    [FastEncodeId]: ((param) =>
      writesNoUndefined(param) ? param : (value) => withoutUndefined(param(value))) satisfies FastEncode
  }) as any
}

/**
 * Encoding a transformation first checks its value against the type side, then encodes it. The wire side of the same
 * value is encoded (and checked) next, by the schema itself, so this pass lets the value through as it is: checking
 * the type side of each subtree once per enclosing level made encoding grow with the depth of the message.
 */
const typeSidePass = <A>(input: A) => ParseResult.succeed(input)

// ---------------------------------------------------------------------------------------------------------------------
// extra: wire fields the schema does not know yet
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Wire fields sent as they are, merged into the wire object of the level they are given at.
 *
 * @internal
 */
export type Extra = { readonly [wireName: string]: unknown }

const camel = (s: string): string => s.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase())
const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The wire names and the camelCase names of a struct schema's fields. @internal */
export const fieldNames = (
  ast: AST.AST
): { readonly wire: ReadonlySet<string>; readonly camel: ReadonlySet<string> } => ({
  wire: new Set(AST.getPropertySignatures(AST.encodedAST(ast)).map((p) => String(p.name))),
  camel: new Set(AST.getPropertySignatures(AST.typeAST(ast)).map((p) => String(p.name)))
})

/**
 * Checks an `extra` block: a plain object whose keys name no field the schema knows (in its wire or camelCase
 * spelling) and whose values are JSON. Returns the issue, or `undefined`.
 *
 * @internal
 */
const extraIssue = (
  extra: unknown,
  names: { readonly wire: ReadonlySet<string>; readonly camel: ReadonlySet<string> },
  isJson: (u: unknown) => string | undefined,
  input: unknown,
  ast: AST.AST
): ParseResult.ParseIssue | undefined => {
  const at = (key: string | undefined, message: string, actual: unknown) =>
    new ParseResult.Pointer(
      "extra",
      input,
      key === undefined
        ? new ParseResult.Type(ast, actual, message)
        : new ParseResult.Pointer(key, extra, new ParseResult.Type(ast, actual, message))
    )
  if (!isRecord(extra)) return at(undefined, "must be an object of wire fields", extra)
  for (const key of Object.keys(extra)) {
    if (key === PROTO) return at(key, "is a key a JavaScript object cannot carry", extra[key])
    const known = names.wire.has(key) || names.camel.has(key) || names.camel.has(camel(key)) ||
      names.wire.has(snake(key))
    if (known) return at(key, "is a field the schema knows: set it by its own name, not through extra", extra[key])
    const value = extra[key]
    if (value === undefined) continue
    const issue = isJson(value)
    if (issue !== undefined) return at(key, issue, value)
  }
  return undefined
}

const copyExtra = (wire: Record<string, unknown>, extra: Extra): void => {
  for (const key of Object.keys(extra)) {
    const member = extra[key]
    // a copy, without undefined members, as JSON writes it
    if (member !== undefined) wire[key] = JSON.parse(JSON.stringify(member))
  }
}

const fastWithExtra: FastEncode = (param, paramAst) => {
  // A struct without free-form keys reads `extra` in its own pass over the value, and merges it.
  const fused = structWithExtra(paramAst, copyExtra)
  if (fused !== undefined) return fused
  return (value) => {
    const { extra, ...rest } = value as { readonly extra?: Extra }
    const wire = param(rest) as Record<string, unknown>
    if (extra !== undefined) copyExtra(wire, extra)
    return wire
  }
}

/**
 * Adds the `extra` escape hatch to a struct schema: on the type side an optional `extra` object of wire fields the
 * schema does not know; on the wire those fields are merged into the struct's object. Decoding a wire object keeps
 * the fields the schema does not know in `extra`, so a wire message round-trips whole.
 *
 * @internal
 */
export const withExtra = <A, I, R>(
  self: Schema.Schema<A, I, R>,
  isJson: (u: unknown) => string | undefined
): Schema.Schema<A & { readonly extra?: Extra | undefined }, I, R> => {
  const names = fieldNames(self.ast)
  const distinct = AST.typeAST(self.ast) !== self.ast
  return Schema.declare([self], {
    decode: (s) => (input, options, ast) => {
      if (!isRecord(input)) return ParseResult.decodeUnknown(s)(input, options)
      if (distinct && s.ast === self.ast) {
        // The wire side: fields the schema does not know are kept in extra.
        let extra: Record<string, unknown> | undefined
        const known: Record<string, unknown> = {}
        for (const key of Object.keys(input)) {
          if (names.wire.has(key)) {
            known[key] = input[key]
          } else {
            if (key === PROTO) return ParseResult.fail(protoIssue(input, ast))
            ;(extra ??= {})[key] = input[key]
          }
        }
        if (extra !== undefined) {
          const issue = extraIssue(extra, names, isJson, input, ast)
          if (issue !== undefined) return ParseResult.fail(issue)
        }
        return ParseResult.map(
          ParseResult.decodeUnknown(s)(known, options),
          (a) => extra === undefined ? a : { ...(a as object), extra }
        )
      }
      // The type side (validation).
      if (!hasOwn(input, "extra")) return ParseResult.decodeUnknown(s)(input, options)
      const { extra, ...rest } = input
      if (extra !== undefined) {
        const issue = extraIssue(extra, names, isJson, input, ast)
        if (issue !== undefined) return ParseResult.fail(issue)
      }
      return ParseResult.map(
        ParseResult.decodeUnknown(s)(rest, options),
        (a) => extra === undefined ? a : { ...(a as object), extra }
      )
    },
    encode: (s) => (input, options, ast) => {
      if (distinct && s.ast !== self.ast && isRecord(input)) return typeSidePass(input as unknown as I)
      if (!isRecord(input) || !hasOwn(input, "extra")) return ParseResult.encodeUnknown(s)(input, options)
      const { extra, ...rest } = input
      if (extra === undefined) return ParseResult.encodeUnknown(s)(rest, options)
      const issue = extraIssue(extra, names, isJson, input, ast)
      if (issue !== undefined) return ParseResult.fail(issue)
      if (distinct && s.ast !== self.ast) return typeSidePass(input as unknown as I)
      return ParseResult.map(ParseResult.encodeUnknown(s)(rest, options), (wire) => {
        const out: Record<string, unknown> = { ...(wire as object) }
        for (const key of Object.keys(extra as object)) {
          const value = (extra as Record<string, unknown>)[key]
          // A copy, without undefined members, as JSON writes it.
          if (value !== undefined) out[key] = JSON.parse(JSON.stringify(value))
        }
        return out as I
      })
    }
  }, { [FastEncodeId]: fastWithExtra }) as any
}

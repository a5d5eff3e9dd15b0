/**
 * A wire schema's encoding, compiled from its AST for messages that already passed validation: the same renames,
 * value transformations and `extra` merges as `Schema.encodeSync`, without checking every value again (the schema's
 * own encoding checks the type side of each subtree first, which costs more than the encoding itself on a send's hot
 * path). A test holds it equal to `Schema.encodeSync` on every message of the corpus.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

type Encode = (value: unknown) => unknown

/**
 * The annotation a declaration (`Schema.declare`) carries to say how it encodes, given its type parameter's encoder.
 *
 * @internal
 */
export const FastEncodeId: unique symbol = Symbol.for("@effect-fcm/fcm/FastEncode")

/**
 * A declaration's encoding, given its type parameter's encoder and AST.
 *
 * @internal
 */
export type FastEncode = (param: Encode, paramAst: AST.AST) => Encode

const identity: Encode = (value) => value

/**
 * The encoding of an optional field (`optional` of wire.ts): absent or `undefined` on the type side, absent on the
 * wire. A struct whose renames all encode with it is compiled into one pass over its fields, without an `Option`
 * per field.
 *
 * @internal
 */
export const dropUndefined = <A>(o: Option.Option<A | undefined>): Option.Option<A> =>
  Option.filter(o, (a): a is A => a !== undefined)

/** Encoders whose objects never have an `undefined` member (the struct encoders compiled here). */
const clean = new WeakSet<Encode>()

/**
 * Whether `encode` writes objects without `undefined` members: a declaration that removes them can skip the pass.
 *
 * @internal
 */
export const writesNoUndefined = (encode: Encode): boolean => clean.has(encode)

interface Field {
  /** The name on the wire (the encoded side). */
  readonly wire: PropertyKey
  /** The name on the type side. */
  readonly name: PropertyKey
  readonly encode: Encode
  /** A rename whose encoding is not {@link dropUndefined}: run as the schema runs it. */
  readonly custom: ((o: Option.Option<any>) => Option.Option<any>) | undefined
}

const hasOwn = Object.prototype.hasOwnProperty

/**
 * A struct with renamed or optional fields (a `TypeLiteralTransformation` over a `TypeLiteral`), or a plain one, in
 * one pass over the keys the value has: each written under its wire name, encoded, in the value's order; the keys
 * of an index signature as they are encoded. A message sets few of the fields its schema knows, so the pass goes
 * over what is there rather than over every field of the schema. One object per struct, no copy, no `delete`.
 * With `extra`, the value's `extra` member (not a field of the struct) is merged into the object by it.
 */
const fused = (
  renames: ReadonlyArray<AST.PropertySignatureTransformation>,
  from: AST.TypeLiteral,
  extra?: (out: Record<PropertyKey, unknown>, extra: any) => void
): Encode => {
  const byWire = new Map<PropertyKey, AST.PropertySignatureTransformation>(renames.map((r) => [r.from, r]))
  const fields: ReadonlyArray<Field> = from.propertySignatures.map((ps) => {
    const r = byWire.get(ps.name)
    return {
      wire: ps.name,
      name: r === undefined ? ps.name : r.to,
      encode: encoderOf(ps.type),
      custom: r === undefined || r.encode === dropUndefined ? undefined : r.encode
    }
  })
  const byName = new Map<PropertyKey, Field>(fields.map((f) => [f.name, f]))
  // A wire-named key written as such in a free-form object, which the schema's own encoding keeps.
  const byWireName = new Map<PropertyKey, Field>(fields.filter((f) => f.wire !== f.name).map((f) => [f.wire, f]))
  const customs = fields.filter((f) => f.custom !== undefined)
  const index = from.indexSignatures.length > 0 ? encoderOf(from.indexSignatures[0]!.type) : undefined
  const encode: Encode = (value) => {
    const input = value as Record<string, unknown>
    const out: Record<PropertyKey, unknown> = {}
    let extraValue: unknown
    for (const key in input) {
      if (!hasOwn.call(input, key)) continue
      const member = input[key]
      if (member === undefined) continue
      const f = byName.get(key)
      if (f !== undefined) {
        if (f.custom === undefined) out[f.wire] = f.encode(member)
      } else if (extra !== undefined && key === "extra") {
        extraValue = member
      } else if (index !== undefined) {
        const w = byWireName.get(key)
        if (w === undefined) out[key] = index(member)
        else if (input[w.name as string] === undefined) out[key] = w.encode(member)
      }
    }
    for (let i = 0; i < customs.length; i++) {
      const f = customs[i]!
      const encoded = f.custom!(hasOwn.call(input, f.name) ? Option.some(input[f.name as string]) : Option.none())
      if (Option.isSome(encoded) && encoded.value !== undefined) out[f.wire] = f.encode(encoded.value)
    }
    if (extraValue !== undefined) extra!(out, extraValue)
    return out
  }
  clean.add(encode)
  return encode
}

/**
 * The struct encoder of `ast` that also merges the value's `extra` member into the wire object with `merge`, when
 * `ast` is a struct without free-form keys (else `undefined`).
 *
 * @internal
 */
export const structWithExtra = (
  ast: AST.AST,
  merge: (out: Record<PropertyKey, unknown>, extra: any) => void
): Encode | undefined => {
  if (ast._tag === "TypeLiteral") return ast.indexSignatures.length === 0 ? fused([], ast, merge) : undefined
  if (
    ast._tag === "Transformation" && ast.transformation._tag === "TypeLiteralTransformation" &&
    ast.from._tag === "TypeLiteral" && ast.from.indexSignatures.length === 0 &&
    !ast.from.propertySignatures.some((ps) => ps.name === "extra")
  ) {
    return fused(ast.transformation.propertySignatureTransformations, ast.from, merge)
  }
  return undefined
}

const memo = new WeakMap<AST.AST, Encode>()

const bySchema = (ast: AST.AST): Encode => {
  const encode = ParseResult.encodeUnknownSync(Schema.make(ast))
  return (value) => encode(value)
}

const runSync = (result: unknown, ast: AST.AST, value: unknown): unknown => {
  if (Either.isEither(result)) {
    if (Either.isRight(result)) return result.right
    throw new ParseResult.ParseError({ issue: result.left as ParseResult.ParseIssue })
  }
  // A transformation with effects: the schema's own encoding runs it.
  return bySchema(ast)(value)
}

const compile = (ast: AST.AST): Encode => {
  switch (ast._tag) {
    case "Declaration": {
      const hook = AST.getAnnotation<FastEncode>(ast, FastEncodeId)
      if (ast.typeParameters.length === 0) return identity
      if (Option.isSome(hook) && ast.typeParameters.length === 1) {
        const param = ast.typeParameters[0]!
        return hook.value(encoderOf(param), param)
      }
      return bySchema(ast)
    }
    case "Refinement":
      return encoderOf(ast.from)
    case "Suspend": {
      let encode: Encode | undefined
      return (value) => (encode ??= encoderOf(ast.f()))(value)
    }
    case "Transformation": {
      const from = encoderOf(ast.from)
      const to = encoderOf(ast.to)
      const t = ast.transformation
      switch (t._tag) {
        case "TypeLiteralTransformation": {
          if (ast.from._tag === "TypeLiteral") return fused(t.propertySignatureTransformations, ast.from)
          const renames = t.propertySignatureTransformations
          return (value) => {
            const out: Record<PropertyKey, unknown> = { ...(value as object) }
            for (const r of renames) {
              const given = Object.prototype.hasOwnProperty.call(out, r.to) ? Option.some(out[r.to]) : Option.none()
              delete out[r.to]
              const encoded = r.encode(given)
              if (Option.isSome(encoded)) out[r.from] = encoded.value
            }
            return from(out)
          }
        }
        case "FinalTransformation":
          return (value) => {
            const toI = to(value)
            return from(runSync(t.encode(toI, {}, ast, value), ast, value))
          }
        case "ComposeTransformation":
          return (value) => from(to(value))
      }
      return bySchema(ast)
    }
    case "TypeLiteral":
      return fused([], ast)
    case "TupleType": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) return bySchema(ast)
      const item = encoderOf(ast.rest[0]!.type)
      return item === identity
        ? (value) => [...(value as Array<unknown>)]
        : (value) => (value as Array<unknown>).map(item)
    }
    case "Union": {
      const members = ast.types.filter((t) => t._tag !== "UndefinedKeyword")
      if (members.length === 1) {
        const member = encoderOf(members[0]!)
        return (value) => value === undefined ? undefined : member(value)
      }
      return members.every((m) => AST.encodedAST(m) === m) ? identity : bySchema(ast)
    }
  }
  return identity
}

/**
 * The encoder of a schema's AST, compiled once.
 *
 * @internal
 */
export const encoderOf = (ast: AST.AST): Encode => {
  let encode = memo.get(ast)
  if (encode === undefined) {
    // A placeholder first, for schemas that refer to themselves.
    memo.set(ast, (value) => encode!(value))
    encode = compile(ast)
    memo.set(ast, encode)
  }
  return encode
}

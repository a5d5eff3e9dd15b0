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

/** @internal */
export type FastEncode = (param: Encode) => Encode

const identity: Encode = (value) => value

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
      if (Option.isSome(hook) && ast.typeParameters.length === 1) return hook.value(encoderOf(ast.typeParameters[0]!))
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
    case "TypeLiteral": {
      const props = ast.propertySignatures.map((ps) => [ps.name, encoderOf(ps.type)] as const)
      const names = new Set<PropertyKey>(ast.propertySignatures.map((ps) => ps.name))
      const index = ast.indexSignatures.length > 0 ? encoderOf(ast.indexSignatures[0]!.type) : undefined
      return (value) => {
        const input = value as Record<PropertyKey, unknown>
        const out: Record<PropertyKey, unknown> = {}
        for (const [name, encode] of props) {
          const member = input[name]
          if (member !== undefined && Object.prototype.hasOwnProperty.call(input, name)) out[name] = encode(member)
        }
        if (index !== undefined) {
          for (const key of Object.keys(input)) {
            if (names.has(key)) continue
            const member = input[key]
            if (member !== undefined) out[key] = index(member)
          }
        }
        return out
      }
    }
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

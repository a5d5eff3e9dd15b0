/**
 * The fields of a wire schema, read from the schema itself: each field's camelCase path, its wire path and what the
 * wire carries. The docs' field tables and the contract test against the emulator come from this list, so neither
 * can drift from the encoding.
 */
import * as Option from "effect/Option"
import * as AST from "effect/SchemaAST"
import { WireFormId } from "./wire.js"

/** One field of a wire schema. @internal */
export interface WireField {
  /** The path as a caller writes it (`android.notification.clickAction`). */
  readonly path: string
  /** The path on the wire (`android.notification.click_action`). */
  readonly wire: string
  /** What the wire carries (`string`, `duration "3.5s"`, `"HIGH" | "NORMAL"`, `object`, …). */
  readonly form: string
  /** Whether the field is an object whose own fields are listed too. */
  readonly struct: boolean
}

const join = (prefix: string, name: string): string => prefix === "" ? name : `${prefix}.${name}`

/** Unwraps what does not change the shape: declarations (`withExtra`, guards), refinements, `| undefined`. */
const unwrap = (ast: AST.AST): AST.AST => {
  switch (ast._tag) {
    case "Declaration":
      return ast.typeParameters.length === 1 ? unwrap(ast.typeParameters[0]!) : ast
    case "Refinement":
      return unwrap(ast.from)
    case "Suspend":
      return unwrap(ast.f())
    case "Union": {
      const types = ast.types.filter((t) => t._tag !== "UndefinedKeyword")
      return types.length === 1 ? unwrap(types[0]!) : ast
    }
  }
  return ast
}

/** The struct behind a field's schema, if it is one: its encoded and type sides. */
const structOf = (
  ast: AST.AST
): { readonly from: AST.TypeLiteral; readonly renames: ReadonlyMap<string, string> } | undefined => {
  const a = unwrap(ast)
  if (a._tag === "TypeLiteral") return { from: a, renames: new Map() }
  if (a._tag === "Transformation" && a.transformation._tag === "TypeLiteralTransformation") {
    const from = unwrap(a.from)
    if (from._tag !== "TypeLiteral") return undefined
    const renames = new Map<string, string>()
    for (const t of a.transformation.propertySignatureTransformations) renames.set(String(t.from), String(t.to))
    return { from, renames }
  }
  return undefined
}

const literalForm = (ast: AST.AST): string | undefined => {
  const a = unwrap(ast)
  if (a._tag === "Literal") return JSON.stringify(a.literal)
  if (a._tag === "Union") {
    const parts = a.types.map(literalForm)
    return parts.every((p) => p !== undefined) ? parts.join(" | ") : undefined
  }
  return undefined
}

const annotatedForm = (ast: AST.AST): string | undefined => {
  const form = AST.getAnnotation<string>(ast, WireFormId)
  if (Option.isSome(form)) return form.value
  switch (ast._tag) {
    case "Declaration":
      return ast.typeParameters.length === 1 ? annotatedForm(ast.typeParameters[0]!) : undefined
    case "Refinement":
    case "Transformation":
      return annotatedForm(ast.from)
    case "Union": {
      const types = ast.types.filter((t) => t._tag !== "UndefinedKeyword")
      return types.length === 1 ? annotatedForm(types[0]!) : undefined
    }
  }
  return undefined
}

/** What the wire carries for a field's (encoded-side) schema. */
const formOf = (ast: AST.AST): string => {
  const annotated = annotatedForm(ast)
  if (annotated !== undefined) return annotated
  const a = unwrap(ast)
  switch (a._tag) {
    case "Transformation":
      return formOf(a.from)
    case "StringKeyword":
      return "string"
    case "NumberKeyword":
      return "number"
    case "BooleanKeyword":
      return "boolean"
    case "TupleType":
      return a.rest.length === 1 ? `array of ${formOf(a.rest[0]!.type)}` : "array"
    case "TypeLiteral":
      return a.propertySignatures.length === 0 && a.indexSignatures.length > 0
        ? `map of ${formOf(a.indexSignatures[0]!.type)}`
        : a.indexSignatures.length > 0
        ? "object, with custom keys"
        : "object"
    case "Literal":
    case "Union":
      return literalForm(a) ?? "one of several forms"
    case "Declaration":
      return "string or object"
  }
  return "JSON"
}

/**
 * The fields of a struct schema, depth first: every field with its camelCase path, wire path and wire form.
 *
 * @internal
 */
export const wireFields = (ast: AST.AST, path = "", wirePath = ""): ReadonlyArray<WireField> => {
  const struct = structOf(ast)
  if (struct === undefined) return []
  const out: Array<WireField> = []
  for (const property of struct.from.propertySignatures) {
    const wireName = String(property.name)
    const name = struct.renames.get(wireName) ?? wireName
    const nested = structOf(property.type)
    const isStruct = nested !== undefined && nested.from.propertySignatures.length > 0
    out.push({
      path: join(path, name),
      wire: join(wirePath, wireName),
      form: annotatedForm(property.type) ??
        (isStruct ? (nested.from.indexSignatures.length > 0 ? "object, with custom keys" : "object") : formOf(
          property.type
        )),
      struct: isStruct
    })
    if (isStruct) out.push(...wireFields(property.type, join(path, name), join(wirePath, wireName)))
  }
  return out
}

/**
 * The wire names of each struct level of a wire schema, by wire path (`""` for the top level).
 *
 * @internal
 */
export const wireLevels = (ast: AST.AST): ReadonlyMap<string, ReadonlySet<string>> => {
  const levels = new Map<string, Set<string>>()
  const top = structOf(ast)
  levels.set("", new Set(top?.from.propertySignatures.map((p) => String(p.name)) ?? []))
  for (const field of wireFields(ast)) {
    const at = field.wire.lastIndexOf(".")
    const parent = at < 0 ? "" : field.wire.slice(0, at)
    const names = levels.get(parent) ?? new Set<string>()
    names.add(field.wire.slice(at + 1))
    levels.set(parent, names)
  }
  return levels
}

/**
 * A Markdown table of a wire schema's fields.
 *
 * @internal
 */
export const markdownTable = (fields: ReadonlyArray<WireField>): string =>
  [
    "| field (as written) | on the wire | wire form |",
    "| --- | --- | --- |",
    ...fields.map((f) => `| \`${f.path}\` | \`${f.wire}\` | ${f.form.replace(/\|/g, "\\|")} |`)
  ].join("\n")

/**
 * Rewrites a field path written with camelCase names (`android.notification.bodyLocKey`) with the wire names
 * (`android.notification.body_loc_key`), for errors about a message read in its wire form. A path already written
 * with wire names, or naming nothing the schema knows, is returned as it is.
 *
 * @internal
 */
export const wirePathOf = (fields: ReadonlyArray<WireField>) => {
  const byPath = new Map(fields.map((f) => [f.path, f.wire]))
  return (path: string): string => {
    let prefix = path
    while (prefix.length > 0) {
      const wire = byPath.get(prefix)
      if (wire !== undefined) return wire + path.slice(prefix.length)
      const at = Math.max(prefix.lastIndexOf("."), prefix.lastIndexOf("["))
      if (at <= 0) break
      prefix = prefix.slice(0, at)
    }
    return path
  }
}

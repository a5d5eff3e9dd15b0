/**
 * The JSON form of a scenario, as the control route and the command line read it: a name (the tag with a lower-case
 * first letter, or an alias) stands for its tagged struct with every field left out, an object passes through to the
 * union; a failed decoding is told as its first problem with the path of its field.
 *
 * @internal
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"

/** The `_tag` literal of a tagged struct. @internal */
export const tagOf = (member: Schema.Schema.Any): string => {
  const tag = SchemaAST.getPropertySignatures(member.ast).find((p) => p.name === "_tag")!.type as SchemaAST.Literal
  return String(tag.literal)
}

/** The name of a tag in the JSON form: `NotRegistered` → `notRegistered`. @internal */
export const nameOf = (tag: string): string => tag.charAt(0).toLowerCase() + tag.slice(1)

/**
 * The union of `members` read from its JSON form: a name in `tags` (or in `aliases`) stands for the member with that
 * tag and every field left out.
 *
 * @internal
 */
export const nameOrObject = <Members extends ReadonlyArray<Schema.Schema.Any>>(
  members: Members,
  aliases: Readonly<Record<string, string>>
): Schema.Schema<Schema.Schema.Type<Members[number]>, unknown> => {
  const byName = new Map<string, string>([
    ...members.map(tagOf).map((tag) => [nameOf(tag), tag] as const),
    ...Object.entries(aliases)
  ])
  const NameOrObject = Schema.transformOrFail(Schema.Unknown, Schema.Unknown, {
    strict: true,
    decode: (input, _, ast) => {
      if (typeof input !== "string") return ParseResult.succeed(input)
      const tag = byName.get(input)
      return tag === undefined
        ? ParseResult.fail(
          new ParseResult.Type(
            ast,
            input,
            `unknown scenario ${JSON.stringify(input)} (one of ${[...byName.keys()].join(", ")})`
          )
        )
        : ParseResult.succeed({ _tag: tag })
    },
    encode: ParseResult.succeed
  })
  return NameOrObject.pipe(Schema.compose(Schema.Union(...members), { strict: false })) as any
}

/** The first problem of a failed decoding with the path of its field. @internal */
export const formatError = (error: ParseResult.ParseError): string => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return error.message
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
}

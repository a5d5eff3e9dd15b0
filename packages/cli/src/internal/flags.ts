/**
 * The building blocks of the commands' flags (`fcm send`, `fcm token`, `fcm broadcast`, `fcm runner`): a flag with
 * the name of its value and its description in one call, optional or repeatable, and the checks a value must pass
 * (not empty, an http(s) URL), a refused value being named by `@effect/cli`.
 *
 * @internal
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"

/** `--name VALUE`, its value shown as `pseudo` in the help. @internal */
export const text = (name: string, pseudo: string, description: string): Options.Options<string> =>
  Options.text(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description))

/** `--name N`, an integer. @internal */
export const integer = (name: string, pseudo: string, description: string): Options.Options<number> =>
  Options.integer(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description))

/** `--name SECRET`, redacted once read. @internal */
export const redacted = (
  name: string,
  pseudo: string,
  description: string
): Options.Options<Redacted.Redacted<string>> =>
  Options.redacted(name).pipe(Options.withPseudoName(pseudo), Options.withDescription(description))

/** `--name`, a switch. @internal */
export const boolean = (name: string, description: string): Options.Options<boolean> =>
  Options.boolean(name).pipe(Options.withDescription(description))

/** A flag that may be left out. @internal */
export const optional = <A>(options: Options.Options<A>): Options.Options<Option.Option<A>> => Options.optional(options)

/** The value of a flag that may be left out, `undefined` when it was. @internal */
export const value = <A>(option: Option.Option<A>): A | undefined => Option.getOrUndefined(option)

/** A value `@effect/cli` refuses, naming what it should be (the flag is named by the command line). @internal */
export const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))

/** A text flag whose value must not be empty (a path, a token, a URL, …). @internal */
export const nonEmpty = (options: Options.Options<string>): Options.Options<string> =>
  Options.mapEffect(options, (s) => s.trim() === "" ? Effect.fail(invalid("must not be empty")) : Effect.succeed(s))

/** A text flag whose value is an http(s) URL. @internal */
export const httpUrl = (options: Options.Options<string>): Options.Options<string> =>
  Options.mapEffect(options, (s) => {
    try {
      const url = new URL(s)
      if (url.protocol === "http:" || url.protocol === "https:") return Effect.succeed(s)
    } catch {
      // not a URL at all
    }
    return Effect.fail(invalid("must be an http(s) URL, such as https://example.com/image.png"))
  })

/** A flag that may be given any number of times, none included (shown as optional by --help). @internal */
export const repeatable = (options: Options.Options<string>): Options.Options<ReadonlyArray<string>> =>
  Options.withDefault(Options.repeated(options), [] as ReadonlyArray<string>)

/** The flags that say how to reach FCM, as `fcm send` and `fcm broadcast` read them. @internal */
export interface ConnectionFlags {
  readonly credentials: Option.Option<string>
  readonly project: Option.Option<string>
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly legacy: boolean
  readonly baseUrl: Option.Option<string>
  readonly ca: Option.Option<string>
  readonly emulator: boolean
}

/** The values of the connection flags, `undefined` for those left out. @internal */
export const connection = (o: ConnectionFlags) => ({
  credentials: value(o.credentials),
  project: value(o.project),
  apiKey: value(o.apiKey),
  legacy: o.legacy,
  baseUrl: value(o.baseUrl),
  ca: value(o.ca),
  emulator: o.emulator
})

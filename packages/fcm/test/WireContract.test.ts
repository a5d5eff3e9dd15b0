/**
 * The contract between the client's v1 wire schema and the emulator's own, independent list of the fields FCM
 * accepts: field by field, at every level the emulator checks, the two agree. A field added to one and not the other
 * fails here, naming it.
 */
import { acceptedFields } from "@effect-fcm/emulator/internal/v1Fields"
import { assert, describe, it } from "@effect/vitest"
import { wireLevels } from "../src/internal/wireFields.js"
import * as MessageV1 from "../src/MessageV1.js"

/** Fields FCM accepts that the client deliberately does not send, and why. */
const NOT_SENT: ReadonlyMap<string, string> = new Map([
  ["name", "output only: FCM fills it in its answer"],
  ["android.notification.bypass_proxy_notification", "deprecated by FCM in favour of proxy"]
])

const client = wireLevels(MessageV1.MessageV1.ast)

/** The emulator's accepted fields of the message's levels, by the path of their object inside `message`. */
const ACCEPTED_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(acceptedFields)
    .filter(([path]) => path === "message" || path.startsWith("message."))
    .map(([path, names]) => [path === "message" ? "" : path.slice("message.".length), names])
)

describe("the v1 wire schema and the emulator's accepted fields agree", () => {
  for (const [level, accepted] of ACCEPTED_FIELDS) {
    const at = (field: string) => level === "" ? field : `${level}.${field}`
    describe(level === "" ? "message" : `message.${level}`, () => {
      it("the client has this level", () => assert.ok(client.has(level), level))
      const sent = client.get(level) ?? new Set<string>()
      for (const field of accepted) {
        it(`${field}: the client sends it${NOT_SENT.has(at(field)) ? " (or says why not)" : ""}`, () => {
          assert.ok(
            sent.has(field) || NOT_SENT.has(at(field)),
            `the emulator accepts ${at(field)}; the client cannot send it`
          )
        })
      }
      for (const field of sent) {
        it(`${field}: the emulator accepts it`, () => {
          assert.ok(accepted.has(field), `the client sends ${at(field)}; the emulator refuses it as an unknown field`)
        })
      }
    })
  }

  it("the exceptions are real: each names a field the emulator accepts and the client does not send", () => {
    for (const path of NOT_SENT.keys()) {
      const at = path.lastIndexOf(".")
      const level = at < 0 ? "" : path.slice(0, at)
      const field = path.slice(at + 1)
      assert.ok(ACCEPTED_FIELDS.get(level)?.has(field), path)
      assert.ok(!client.get(level)?.has(field), path)
    }
  })
})

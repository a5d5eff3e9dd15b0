/**
 * The field tables of docs/wire-fields.md are generated from the wire schemas: a field added to a schema changes the
 * table, and this test fails until the page is regenerated (`pnpm exec vitest run packages/fcm/test/WireFields.test.ts
 * -u`), so the docs cannot drift from the encoding.
 */
import { describe, expect, it } from "@effect/vitest"
import { markdownTable, wireFields } from "../src/internal/wireFields.js"
import * as Message from "../src/Message.js"
import * as MessageV1 from "../src/MessageV1.js"

const page = (): string =>
  [
    "# Wire fields",
    "",
    "Generated from the wire schemas by `packages/fcm/test/WireFields.test.ts`: do not edit by hand. Each row is one",
    "field as a caller writes it, its name on the wire and what the wire carries. See [the message](message.md) and",
    "[the v1 translation](v1-translation.md) for the rules, and [contributing](contributing.md) to add a field.",
    "",
    "## HTTP v1: `MessageV1.MessageV1`",
    "",
    "Every object level that is not free-form also takes `extra`: wire fields the schema does not know yet, merged into",
    "that level as written.",
    "",
    markdownTable(wireFields(MessageV1.MessageV1.ast)),
    "",
    "## Legacy: `Message.Legacy`",
    "",
    markdownTable(wireFields(Message.Legacy.ast)),
    ""
  ].join("\n")

describe("docs/wire-fields.md", () => {
  it("is the wire schemas' field tables", async () => {
    await expect(page()).toMatchFileSnapshot("../../../docs/wire-fields.md")
  })

  it("lists every field of the v1 message, with the new ones FCM documents", () => {
    const wire = wireFields(MessageV1.MessageV1.ast).map((f) => f.wire)
    for (
      const name of [
        "fid",
        "android.bandwidth_constrained_ok",
        "android.restricted_satellite_ok",
        "apns.live_activity_token"
      ]
    ) {
      expect(wire).toContain(name)
    }
  })
})

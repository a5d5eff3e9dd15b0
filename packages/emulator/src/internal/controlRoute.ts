/**
 * The `/__emulator/…` control routes (see `Control.ts` for what each does and the body of `scenarios`). They act
 * on the model and are neither recorded nor counted.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Control from "../Control.js"
import type * as M from "../Model.js"
import { HTML_HEADERS, JSON_HEADERS, response, textOf } from "./answer.js"
import * as Pages from "./pages.js"

const ok = (body: unknown): M.Response => response(200, JSON_HEADERS, JSON.stringify(body))
const bad = (message: string): M.Response => response(400, JSON_HEADERS, JSON.stringify({ error: message }))
const usePost = (extra: object = {}): M.Response =>
  response(405, { ...JSON_HEADERS, allow: "POST" }, JSON.stringify({ error: "use POST", ...extra }))

/** @internal */
export const handle = (model: M.Model, request: M.Request, pathname: string, query: string): M.Response => {
  const post = request.method.toUpperCase() === "POST"
  switch (pathname) {
    case "/__emulator/counters":
      return ok(model.counters())
    case "/__emulator/records": {
      const limit = Number(new URLSearchParams(query.slice(1)).get("limit") ?? "100")
      const all = model.records()
      return ok(all.slice(Math.max(0, all.length - (Number.isFinite(limit) ? limit : 100))))
    }
    case "/__emulator/reset":
      if (!post) return usePost()
      model.reset()
      return ok({})
    case "/__emulator/expire-tokens":
      if (!post) return usePost()
      model.expireAccessTokens()
      return ok({})
    case "/__emulator/scenarios": {
      if (!post) return usePost({ usage: Control.usage })
      let u: unknown
      try {
        u = JSON.parse(textOf(request.body))
      } catch {
        return bad("the body must be JSON")
      }
      const body = Control.decodeBody(u)
      if (Either.isLeft(body)) return bad(body.left)
      Control.apply(model, body.right)
      return ok({})
    }
    default:
      return response(404, HTML_HEADERS, Pages.notFound(pathname))
  }
}

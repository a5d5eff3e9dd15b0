/**
 * The GCE metadata server, `GET /computeMetadata/v1/…` with `Metadata-Flavor: Google`: the default service
 * account's access token and e-mail, and the project id. Without the header, Google's 403 page.
 *
 * @internal
 */
import type * as M from "../Model.js"
import { goAwayAfter, type Handled, header, HTML_HEADERS, JSON_HEADERS, response } from "./answer.js"
import * as Faults from "./faults.js"
import * as Pages from "./pages.js"
import type { State } from "./state.js"
import * as V1Route from "./v1Route.js"

const TOKEN = /^\/computeMetadata\/v1\/instance\/service-accounts\/([^/]+)\/token$/
const EMAIL = /^\/computeMetadata\/v1\/instance\/service-accounts\/([^/]+)\/email$/

const forbidden = (pathname: string): string =>
  `<!DOCTYPE html>\n<html lang=en>\n<title>Error 403 (Forbidden)!!1</title>\n<p><b>403.</b> <ins>That’s an error.</ins>\n<p>Your client does not have permission to get URL <code>${pathname}</code> from this server. Missing Metadata-Flavor:Google header. <ins>That’s all we know.</ins>\n`

/** @internal */
export const handle = (state: State, request: M.Request, pathname: string): Handled => {
  const route = "metadata" as const
  const protocol = "metadata" as const
  if (header(request.headers, "metadata-flavor") !== "Google") {
    return { response: response(403, HTML_HEADERS, forbidden(pathname)), route, protocol, outcomes: ["forbidden"] }
  }
  // Faults with a body are worded as Google's APIs word them.
  const faulted = Faults.service(state.engine, V1Route.wording, route, protocol, request.now)
  if (faulted === "goaway") return goAwayAfter(handle(state, request, pathname))
  if (faulted !== undefined) return faulted
  const headers = { ...JSON_HEADERS, "metadata-flavor": "Google" }
  const textHeaders = { "content-type": "application/text", "metadata-flavor": "Google" }
  if (TOKEN.test(pathname)) {
    const issued = state.issueAccessToken(request.now, { projectId: state.projectId })
    return { response: response(200, headers, JSON.stringify(issued)), route, protocol, outcomes: ["issued"] }
  }
  if (pathname === "/computeMetadata/v1/project/project-id") {
    return { response: response(200, textHeaders, state.projectId), route, protocol, outcomes: ["project-id"] }
  }
  if (EMAIL.test(pathname)) {
    const first = state.trusted.keys().next()
    const email = first.done ? `default@${state.projectId}.iam.gserviceaccount.com` : first.value
    return { response: response(200, textHeaders, email), route, protocol, outcomes: ["email"] }
  }
  return { response: response(404, HTML_HEADERS, Pages.notFound(pathname)), route, protocol }
}

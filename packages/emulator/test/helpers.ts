import * as Model from "../src/Model.js"
import * as ServiceAccount from "../src/ServiceAccount.js"

export const account = ServiceAccount.unsafeGenerate({ projectId: "proj-a" })
export const stranger = ServiceAccount.unsafeGenerate({ projectId: "proj-a" })

export const NOW = 1_700_000_000_000

export interface Call {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: unknown
  readonly now?: number
}

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: any
  readonly response: Model.Response
}

export const call = (model: Model.Model, c: Call): Answer => {
  const response = model.handle({
    method: c.method ?? "POST",
    path: c.path,
    headers: c.headers ?? {},
    body: c.body === undefined ? "" : typeof c.body === "string" ? c.body : JSON.stringify(c.body),
    now: c.now ?? NOW,
    httpVersion: "test"
  })
  let json: unknown
  try {
    json = JSON.parse(response.body)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text: response.body, json, response }
}

export const legacy = (model: Model.Model, body: unknown, extra: Partial<Call> = {}): Answer =>
  call(model, {
    path: "/fcm/send",
    headers: { authorization: "key=emulator-server-key", "content-type": "application/json" },
    body,
    ...extra
  })

export const bearer = (model: Model.Model, now = NOW, projectId = "proj-a"): string =>
  model.issueAccessToken(now, { projectId }).access_token

export const v1 = (
  model: Model.Model,
  body: unknown,
  extra: Partial<Call> & { readonly token?: string; readonly project?: string } = {}
): Answer =>
  call(model, {
    path: `/v1/projects/${extra.project ?? "proj-a"}/messages:send`,
    headers: {
      authorization: `Bearer ${extra.token ?? bearer(model, extra.now ?? NOW)}`,
      "content-type": "application/json"
    },
    body,
    ...(extra.now !== undefined ? { now: extra.now } : {})
  })

export const makeModel = (config: Model.Config = {}): Model.Model =>
  Model.make({ serviceAccounts: [account], projectId: "proj-a", ...config })

export const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
export const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
export const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"

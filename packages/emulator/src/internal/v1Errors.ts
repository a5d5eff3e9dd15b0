/**
 * HTTP v1 errors in v1's own terms: a `google.rpc.Status` (`{"error":{code, message, status, details}}`) with an
 * `FcmError` detail (`errorCode`), a `BadRequest` field violation or an `ErrorInfo`, as FCM answers them.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
/** @internal */
export const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
/** @internal */
export const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
/** @internal */
export const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
/** @internal */
export const HELP = "type.googleapis.com/google.rpc.Help"

/** @internal */
export interface ErrorBody {
  readonly status: number
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

const rpcStatus = (
  code: number,
  status: string,
  message: string,
  details: ReadonlyArray<unknown>,
  headers?: Readonly<Record<string, string>>
): ErrorBody => ({
  status: code,
  body: JSON.stringify({
    error: details.length > 0 ? { code, message, status, details } : { code, message, status }
  }),
  ...(headers ? { headers } : {})
})

const fcmError = (errorCode: string) => ({ "@type": FCM_ERROR, errorCode })

const badRequest = (field: string | undefined, description: string) => ({
  "@type": BAD_REQUEST,
  fieldViolations: [field === undefined ? { description } : { field, description }]
})

/** A semantic INVALID_ARGUMENT: FcmError detail, plus a field violation when a field is named. @internal */
export const invalidArgument = (field: string | undefined, description: string): ErrorBody =>
  rpcStatus(
    400,
    "INVALID_ARGUMENT",
    description,
    field === undefined
      ? [fcmError("INVALID_ARGUMENT")]
      : [fcmError("INVALID_ARGUMENT"), badRequest(field, description)]
  )

/** A JSON-mapping error (wrong type, unknown field): a field violation only. @internal */
export const mappingError = (field: string | undefined, description: string): ErrorBody =>
  rpcStatus(400, "INVALID_ARGUMENT", description, [badRequest(field, description)])

/** @internal */
export const invalidTokenMessage = "The registration token is not a valid FCM registration token"

/** @internal */
export const invalidToken = (field = "message.token"): ErrorBody => invalidArgument(field, invalidTokenMessage)

/** @internal */
export const missingRecipient: ErrorBody = invalidArgument("message", "Recipient of the message is not set.")

/** @internal */
export const unregistered: ErrorBody = rpcStatus(404, "NOT_FOUND", "Requested entity was not found.", [
  fcmError("UNREGISTERED")
])

/** @internal */
export const senderIdMismatch: ErrorBody = rpcStatus(403, "PERMISSION_DENIED", "SenderId mismatch", [
  fcmError("SENDER_ID_MISMATCH")
])

/** @internal */
export const unavailable: ErrorBody = rpcStatus(503, "UNAVAILABLE", "The service is currently unavailable.", [
  fcmError("UNAVAILABLE")
])

/** @internal */
export const internal: ErrorBody = rpcStatus(500, "INTERNAL", "Internal error encountered.", [fcmError("INTERNAL")])

/** @internal */
export const thirdPartyAuth: ErrorBody = rpcStatus(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", [
  fcmError("THIRD_PARTY_AUTH_ERROR")
])

/** @internal */
export const quotaExceeded = (topicLike: boolean): ErrorBody =>
  rpcStatus(
    429,
    "RESOURCE_EXHAUSTED",
    topicLike ? "Topic quota exceeded." : "Device message rate exceeded.",
    [fcmError("QUOTA_EXCEEDED")]
  )

/** @internal */
export const projectQuota = (project: string): ErrorBody =>
  rpcStatus(
    429,
    "RESOURCE_EXHAUSTED",
    `Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com' for consumer 'project_number:${project}'.`,
    [
      {
        "@type": ERROR_INFO,
        reason: "RATE_LIMIT_EXCEEDED",
        domain: "googleapis.com",
        metadata: {
          quota_limit_value: "600000",
          consumer: `projects/${project}`,
          quota_metric: "fcm.googleapis.com/send_requests",
          quota_unit: "1/min/{project}",
          service: "fcm.googleapis.com",
          quota_location: "global",
          quota_limit: "SendsPerMinutePerProject"
        }
      },
      {
        "@type": HELP,
        links: [
          {
            description: "Request a higher quota limit.",
            url: "https://cloud.google.com/docs/quotas/help/request_increase"
          }
        ]
      }
    ]
  )

const authHeaders = { "www-authenticate": "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"" }

const invalidCredentials =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."

const errorInfo = (reason: string) => ({
  "@type": ERROR_INFO,
  reason,
  domain: "googleapis.com",
  metadata: { service: "fcm.googleapis.com", method: "google.firebase.fcm.v1.FcmService.SendMessage" }
})

/** @internal */
export const credentialsMissing: ErrorBody = rpcStatus(
  401,
  "UNAUTHENTICATED",
  "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
  [errorInfo("CREDENTIALS_MISSING")],
  { "www-authenticate": "Bearer realm=\"https://accounts.google.com/\"" }
)

/** @internal */
export const invalidAccessToken: ErrorBody = rpcStatus(401, "UNAUTHENTICATED", invalidCredentials, [], authHeaders)

/** @internal */
export const expiredAccessToken: ErrorBody = rpcStatus(
  401,
  "UNAUTHENTICATED",
  invalidCredentials,
  [errorInfo("ACCESS_TOKEN_EXPIRED")],
  authHeaders
)

/** @internal */
export const permissionDenied = (project: string): ErrorBody =>
  rpcStatus(
    403,
    "PERMISSION_DENIED",
    `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`,
    [
      {
        "@type": ERROR_INFO,
        reason: "IAM_PERMISSION_DENIED",
        domain: "cloudresourcemanager.googleapis.com",
        metadata: { permission: "cloudmessaging.messages.create", resource: `projects/${project}` }
      }
    ]
  )

/** @internal */
export const plainBadRequest = (message: string): ErrorBody => rpcStatus(400, "INVALID_ARGUMENT", message, [])

/** A malformed token, topic or condition. @internal */
export const invalidTarget = (target: M.Target): ErrorBody =>
  target._tag === "Topic"
    ? invalidArgument("message.topic", "Invalid topic name")
    : target._tag === "Condition"
    ? invalidArgument("message.condition", "Invalid condition expression provided.")
    : invalidToken()

/** The v1 error FCM gives for the problem a legacy error code names. @internal */
export const fromLegacyCode = (code: Scenario.LegacyErrorCode, target: M.Target): ErrorBody => {
  switch (code) {
    case "NotRegistered":
      return unregistered
    case "InvalidRegistration":
      return invalidTarget(target)
    case "MissingRegistration":
      return missingRecipient
    case "MismatchSenderId":
      return senderIdMismatch
    case "InvalidPackageName":
      return invalidArgument("message.android.restricted_package_name", "Invalid package name")
    case "MessageTooBig":
      return invalidArgument(undefined, "Message is too big")
    case "InvalidDataKey":
      return invalidArgument("message.data", "Invalid data payload key")
    case "InvalidTtl":
      return invalidArgument("message.android.ttl", "The TTL is invalid")
    case "Unavailable":
      return unavailable
    case "InternalServerError":
      return internal
    case "DeviceMessageRateExceeded":
      return quotaExceeded(false)
    case "TopicsMessageRateExceeded":
      return quotaExceeded(true)
    case "InvalidApnsCredential":
      return thirdPartyAuth
  }
}

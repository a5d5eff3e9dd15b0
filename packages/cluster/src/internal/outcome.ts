/**
 * A token's outcome as a ledger row (`outcome`, `detail`, `message_id`) and back.
 *
 * @internal
 */
import { Result } from "@effect-fcm/fcm"

/** @internal */
export interface Row {
  readonly outcome: "success" | "canonical" | "notRegistered" | "failed" | "retryable" | "unknown"
  readonly detail: string
  readonly message_id: string | null
}

/** @internal */
export const encodeOutcome = (outcome: Result.Outcome): Row => {
  switch (outcome._tag) {
    case "Delivered":
      return { outcome: "success", detail: "", message_id: outcome.messageId } // the id once: it is most of a row
    case "Canonical":
      return { outcome: "canonical", detail: outcome.newToken, message_id: outcome.messageId }
    case "NotRegistered":
      return { outcome: "notRegistered", detail: outcome.code, message_id: null }
    case "Failed":
      return { outcome: "failed", detail: outcome.code, message_id: null }
    case "Retryable":
      return { outcome: "retryable", detail: outcome.reason, message_id: null }
    case "Unknown":
      return { outcome: "unknown", detail: outcome.reason, message_id: null }
  }
}

/** @internal */
export const decodeOutcome = (outcome: string, detail: string, messageId: string | null): Result.Outcome => {
  switch (outcome) {
    case "success":
      return Result.Outcome.Delivered({ messageId: messageId ?? detail })
    case "canonical":
      return Result.Outcome.Canonical({ messageId: messageId ?? "", newToken: detail })
    case "notRegistered":
      return Result.Outcome.NotRegistered({ code: detail })
    case "failed":
      return Result.Outcome.Failed({ code: detail })
    case "unknown":
      return Result.Outcome.Unknown({ reason: detail })
    default:
      return Result.Outcome.Retryable({ reason: detail, retryAfterMillis: undefined })
  }
}

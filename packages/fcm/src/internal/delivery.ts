/**
 * Delivery semantics: which targets of a request that went wrong may have been processed by FCM, and so, under
 * at-most-once delivery, are reported `Unknown` and never sent again rather than `Retryable`. Pure: it reads what the
 * transport and the answer said.
 *
 * @internal
 */
import type { Delivery } from "../FcmClient.js"
import type { FcmError } from "../FcmError.js"
import { Outcome } from "../Result.js"
import { MALFORMED_RESPONSE } from "./v1.js"

/** @internal */
export const DELIVERIES: ReadonlyArray<Delivery> = ["atLeastOnce", "atMostOnce"]

/**
 * The outcome of a target whose request got no answer (`reason`): retryable, unless delivery is at most once and
 * the transport says the request may have reached FCM (the connection broke after it was written, a timeout, a body
 * cut short).
 *
 * @internal
 */
export const unanswered = (reason: string, mayHaveBeenProcessed: boolean, delivery: Delivery): Outcome =>
  delivery === "atMostOnce" && mayHaveBeenProcessed
    ? Outcome.Unknown({ reason })
    : Outcome.Retryable({ reason, retryAfterMillis: undefined })

const MALFORMED_REASON = `${MALFORMED_RESPONSE}: FCM answered 200 without a message name`

/**
 * An answer's outcome under `delivery`: at most once, a v1 200 whose body names no message (`MALFORMED_RESPONSE`:
 * the message may have been delivered) is unknown rather than failed.
 *
 * @internal
 */
export const answered = (outcome: Outcome, delivery: Delivery): Outcome =>
  delivery === "atMostOnce" && outcome._tag === "Failed" && outcome.code === MALFORMED_RESPONSE
    ? Outcome.Unknown({ reason: MALFORMED_REASON })
    : outcome

/**
 * Whether an error that fails a send as a whole came with an answer that says FCM took the request but that cannot
 * be read (a legacy 200 whose body is not the expected JSON): the targets of that request may have been delivered.
 *
 * @internal
 */
export const mayHaveBeenProcessed = (error: FcmError): boolean =>
  error._tag === "TransportError" && error.status !== undefined && error.status >= 200 && error.status <= 299

/**
 * The outcome of the targets of a request whose answer failed the send, under at-most-once delivery.
 *
 * @internal
 */
export const unreadable = (error: FcmError): Outcome => Outcome.Unknown({ reason: `${error._tag}: ${error.message}` })

/**
 * The brand of a `Result`, in a module of its own so that the errors can recognise a result without importing it.
 *
 * @internal
 */
export const ResultTypeId: unique symbol = Symbol.for("@effect-fcm/fcm/Result")

/** @internal */
export type ResultTypeId = typeof ResultTypeId

/** @internal */
const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const googlePage = (status: number, title: string, text: string): string =>
  `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error ${status} (${title})!!1</title>
  <style>
    *{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html{background:#fff;color:#222;padding:15px}body{margin:7% auto 0;max-width:390px;min-height:180px;padding:30px 0 15px}
  </style>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>${status}.</b> <ins>That’s an error.</ins>
  <p>${text}  <ins>That’s all we know.</ins>
`

/** @internal */
export const notFound = (path: string): string =>
  googlePage(404, "Not Found", `The requested URL <code>${escapeHtml(path)}</code> was not found on this server.`)

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Server Error",
  502: "Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}

/** @internal */
export const statusTitle = (status: number): string => titles[status] ?? "Error"

/** @internal */
export const serverError = (status: number): string =>
  googlePage(
    status,
    statusTitle(status),
    status >= 500
      ? "The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds."
      : "Your client has issued a malformed or illegal request."
  )

/** The legacy API's answer to a missing or wrong server key, and its other whole-request errors. @internal */
export const legacyPage = (status: number): string => {
  const title = statusTitle(status)
  return `<HTML>
<HEAD>
<TITLE>${title}</TITLE>
</HEAD>
<BODY BGCOLOR="#FFFFFF" TEXT="#000000">
<H1>${title}</H1>
<H2>Error ${status}</H2>
</BODY>
</HTML>
`
}

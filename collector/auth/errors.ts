/** Why a request was refused before any route ran; the API maps it onto its error answer. */
export type AuthErrorCode = "unauthorized" | "forbidden";

/**
 * A refusal by authentication (401: no or unknown token) or authorization (403: scope or stacks
 * too small). `challenge` is the `WWW-Authenticate` value a 401 carries.
 */
export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly challenge?: string,
  ) {
    super(message);
  }
}

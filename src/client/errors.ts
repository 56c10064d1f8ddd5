/**
 * What can go wrong when an app reads a person's scopes, as classes an app
 * can tell apart with `instanceof`.
 *
 * @example
 * try { await client.listRecords(owner, 'instagram.profile') }
 * catch (err) { if (err instanceof NotGranted) showAskAgainButton() }
 */

/** Anything the Hearth server answered with an error (status and XRPC error name kept). */
export class HearthError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly error?: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** No active grant lets this app read that scope (never granted, expired, or the scope does not exist: the server does not say which). */
export class NotGranted extends HearthError {}

/** This client read the scope before (or saw it granted), and now may not: the person revoked the grant, or deleted the scope. */
export class Revoked extends NotGranted {}

/** What the server sent does not verify against the owner's key from their DID document: it was not handed over. */
export class VerificationFailed extends HearthError {}

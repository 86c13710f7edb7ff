import { X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import * as acme from 'acme-client';
import type { AcmeChallenge } from '../site/vcl';

/** An ACME failure about one name: the domain and the server's own words (its problem detail). */
export class AcmeError extends Error {
  override name = 'AcmeError';
  constructor(
    readonly domain: string | null,
    readonly detail: string,
    /** The server does not know the account (a Pebble restarted since): register again. */
    readonly accountProblem = false,
  ) {
    super(domain ? `ACME validation of ${domain} failed: ${detail}` : `ACME request failed: ${detail}`);
  }
}

export interface AcmeAccount {
  directoryUrl: string;
  /** CA bundle for the ACME server's own HTTPS (Pebble's listener); the system's when absent. */
  ca?: Buffer;
  email?: string;
  /** PEM of the account key: a secret from the store. */
  accountKeyPem: string;
  /** The account's URL from an earlier run: no account request at all then. */
  accountUrl?: string;
  /** Told the URL of a newly registered account, to keep for next time. */
  onAccountUrl(url: string): Promise<void>;
}

export interface OrderHooks {
  /** Make Varnish answer these HTTP-01 challenges (files its fixed VCL rule reads), before the server is told to look. */
  publish(challenges: AcmeChallenge[]): Promise<void>;
  unpublish(challenges: AcmeChallenge[]): Promise<void>;
  progress(step: string): void;
}

export interface IssuedCertificate {
  /** Leaf first, then the chain. */
  chainPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
}

/** A new ECDSA P-256 private key in PEM: generated here, in the activity, never passed in. */
export async function newPrivateKey(): Promise<string> {
  return (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
}

/**
 * One certificate for `domains` by HTTP-01: account (found again by its key), order, a challenge
 * per name answered by Varnish, finalize with a fresh key's CSR, download. A name that fails
 * validation is named in the {@link AcmeError}.
 */
export async function orderCertificate(account: AcmeAccount, domains: string[], hooks: OrderHooks): Promise<IssuedCertificate> {
  if (account.ca) acme.axios.defaults.httpsAgent = new Agent({ ca: account.ca });
  // Polls a pending challenge or order from 0.5 s, doubling to 10 s (the library starts at 5 s), 12 times: most validations end within a second or two.
  const client = new acme.Client({ directoryUrl: account.directoryUrl, accountKey: account.accountKeyPem, backoffMin: 500, backoffMax: 10_000, backoffAttempts: 12, ...(account.accountUrl ? { accountUrl: account.accountUrl } : {}) });
  try {
    if (!account.accountUrl) {
      // acme-client follows a registration that finds an existing account with an update of the
      // same fields, which servers refuse as empty: look the key's account up first, register only when there is none
      hooks.progress('registering the ACME account');
      await client.createAccount({ onlyReturnExisting: true }).catch(() => client.createAccount({ termsOfServiceAgreed: true, ...(account.email ? { contact: [`mailto:${account.email}`] } : {}) }));
      await account.onAccountUrl(client.getAccountUrl());
    }
    hooks.progress(`ordering a certificate for ${domains.join(', ')}`);
    const order = await client.createOrder({ identifiers: domains.map((value) => ({ type: 'dns', value })) });
    const pending: { domain: string; challenge: Challenge; authz: acme.Authorization }[] = [];
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === 'http-01');
      if (!challenge) throw new AcmeError(authz.identifier.value, 'the server offers no http-01 challenge');
      pending.push({ domain: authz.identifier.value, challenge, authz });
    }
    const published: AcmeChallenge[] = [];
    for (const p of pending) published.push({ domain: p.domain, token: p.challenge.token, keyAuthorization: await client.getChallengeKeyAuthorization(p.challenge) });
    if (published.length) await hooks.publish(published);
    try {
      hooks.progress(`HTTP-01 validation of ${pending.map((p) => p.domain).join(', ') || 'no name (authorizations still valid)'}`);
      const results = await Promise.allSettled(
        pending.map(async (p) => {
          try {
            await client.completeChallenge(p.challenge);
            await client.waitForValidStatus(p.challenge);
          } catch (err) {
            await client.deactivateAuthorization(p.authz).catch(() => undefined);
            throw new AcmeError(p.domain, (err as Error).message);
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      if (published.length) await hooks.unpublish(published);
    }
    hooks.progress('finalizing the order');
    const keyPem = await newPrivateKey();
    const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: domains }, keyPem);
    const finalized = await client.finalizeOrder(order, csr);
    const chainPem = await client.getCertificate(finalized);
    const info = acme.crypto.readCertificateInfo(chainPem);
    return { chainPem, keyPem, notBefore: info.notBefore, notAfter: info.notAfter, serial: serialOf(chainPem) };
  } catch (err) {
    if (err instanceof AcmeError) throw err;
    throw new AcmeError(null, (err as Error).message, /account/i.test((err as Error).message));
  }
}

type Challenge = acme.Authorization['challenges'][number];

function serialOf(chainPem: string): string {
  return new X509Certificate(acme.crypto.splitPemChain(chainPem)[0]!).serialNumber;
}

/**
 * The one list of failure types Tutti raises. Activities and workflows throw
 * `ApplicationFailure`s with one of these as `type`; tests and the CLI match on them.
 */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  ComponentUnavailable: 'ComponentUnavailable',
  SiteBusy: 'SiteBusy',
  SiteNotFound: 'SiteNotFound',
  SiteExists: 'SiteExists',
  DomainTaken: 'DomainTaken',
  NotOwned: 'NotOwned',
  ContainerUnhealthy: 'ContainerUnhealthy',
  InstallFailed: 'InstallFailed',
  RouteCheckFailed: 'RouteCheckFailed',
  CommandFailed: 'CommandFailed',
  BackupNotFound: 'BackupNotFound',
  BackupCorrupt: 'BackupCorrupt',
  BackupIncomplete: 'BackupIncomplete',
  /** A fleet run finished, but some site failed or has no recent good backup (the report is in the details). */
  BackupFailed: 'BackupFailed',
  /** A restore drill (verifyBackup) could not restore or check the backup. */
  RestoreDrillFailed: 'RestoreDrillFailed',
  /** The backup of the live site an in-place restore takes first failed; nothing was changed. */
  SafetyBackupFailed: 'SafetyBackupFailed',
  /** A migration source (dump or files archive) is missing or unreadable. */
  SourceNotFound: 'SourceNotFound',
  /** A migration source is hostile or unusable (entry escaping the target, device node, bomb, not one database's dump). */
  SourceRefused: 'SourceRefused',
  /**
   * An Update's validator refused it (approve before staging is checked, reject without a reason,
   * continue a fleet that is not paused). Its message is left readable by the failure converter:
   * a refused update never reaches history, and the UI's update dialog shows the message as is.
   */
  UpdateRefused: 'UpdateRefused',
  /** An ACME order or validation failed; the message names the domain and the ACME server's error. */
  AcmeFailed: 'AcmeFailed',
  /** A renewCertificates run finished, but some site's certificate could not be renewed (the report is in the details). */
  CertificateRenewalFailed: 'CertificateRenewalFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Bad input: names the field and what was expected. Never retried. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

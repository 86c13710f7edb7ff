/** The only workflow bundle entry: one workflow per file. */
export { checkPlatform } from './checkPlatform';
export { createSite } from './createSite';
export { deleteSite } from './deleteSite';
export { rotateSiteSecrets } from './rotateSiteSecrets';
export { siteCron } from './siteCron';
export { upgradeSite } from './upgradeSite';
export { upgradeFleet } from './upgradeFleet';
export { backupSite } from './backupSite';
export { restoreSite } from './restoreSite';
export { fleetBackup } from './fleetBackup';
export { verifyBackup } from './verifyBackup';
export { migrateSite } from './migrateSite';
export { renewCertificates } from './renewCertificates';

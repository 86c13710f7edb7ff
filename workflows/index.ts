/** The only workflow bundle entry: one workflow per file. */
export { checkPlatform } from './checkPlatform';
export { createSite } from './createSite';
export { deleteSite } from './deleteSite';

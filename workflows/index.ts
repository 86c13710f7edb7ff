/** The only workflow bundle entry: one workflow per file. */
export { checkPlatform } from './checkPlatform';

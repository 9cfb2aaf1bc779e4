/** Reading a package manifest, for the CLI (a file) and the HTTP API (an upload). */
export { MAX_ASSET_BYTES, parseManifest, readManifestFile } from '../../adapters/assets/asset-files.js';

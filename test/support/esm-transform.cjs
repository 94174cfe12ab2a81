/**
 * Jest transform for the ES-module-only packages the tests load in-process (jose, which
 * sessionwatch imports lazily for back-channel logout, and openid-client with oauth4webapi, the
 * relying party of the OpenID Connect suites): Jest's CommonJS runtime cannot load an ES module,
 * so each file becomes CommonJS (esbuild, already a dev dependency for the build). Only those
 * packages, by `transformIgnorePatterns` in jest.config.js.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Jest loads its transforms as CommonJS
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { loader: 'js', format: 'cjs', target: 'node20', sourcemap: true, sourcefile: filename });
    return { code, map };
  },
};

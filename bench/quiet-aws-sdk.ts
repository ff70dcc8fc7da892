/**
 * Imported first by main.ts, before any module that loads the AWS SDK: the SDK prints a
 * Node-version support warning when a client is built, and that line would land in the
 * benchmark's output (and could end up after the `--json` line). ES modules are evaluated in
 * import order, so this assignment runs before the SDK is ever touched.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export {};

/** The platform's version, as `GET /api/status` reports it. Kept in step with package.json. */
export const PLATFORM_VERSION = '0.1.0';

// Configuration: read, validate (schemas/config.json), override from env, check, freeze.
export { loadConfig, embeddedConfigFile } from './load.js'
export { redactedConfig, REDACTED } from './redact.js'
export { ENV_OVERRIDES, API_KEY_ENV } from './env.js'
export { LOG_LEVELS, type Config, type KeyFiles, type AgencyConfig, type ApiKeyConfig, type LogLevel, type LoadConfigOptions } from './types.js'

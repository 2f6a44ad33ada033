/**
 * The flag evaluation engine: compile a flag set definition once, evaluate it many times.
 * Pure and dependency-free: this folder imports no Node-only module, so the browser provider
 * bundles the very same code (a test keeps it so).
 */
export { type IpRange, inRange, parseIpRange } from './cidr.js';
export { type CompiledFlagSet, type CompileOptions, type CompileResult, compileFlagSet } from './compile.js';
export { evaluate, evaluateAll } from './evaluate.js';
export { flagdJsHash, murmur3, unleashHash } from './hash.js';
export { DEFAULT_LIMITS, type FlagSetLimits } from './limits.js';
export { MAX_REGEX_INPUT, regexProblem } from './regex.js';
export { compareSemVer, parseSemVer, type SemVer } from './semver.js';
export * from './types.js';
export { NOW_ATTRIBUTE } from './values.js';

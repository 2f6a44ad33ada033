import {
  ErrorCode,
  type EvaluationContext,
  type FlagMetadata,
  type ResolutionDetails,
  StandardResolutionReasons,
} from '@openfeature/core';
import { type EvaluationErrorCode, evaluate } from '../engine.js';
import type { FlagSync } from './sync.js';

/** The flag types OpenFeature asks for; `object` is answered by `json` flags. */
export type RequestedType = 'boolean' | 'string' | 'number' | 'object';

const ERROR_CODES: Readonly<Record<EvaluationErrorCode, ErrorCode>> = {
  FLAG_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  TYPE_MISMATCH: ErrorCode.TYPE_MISMATCH,
  PARSE_ERROR: ErrorCode.PARSE_ERROR,
  TARGETING_KEY_MISSING: ErrorCode.TARGETING_KEY_MISSING,
  INVALID_CONTEXT: ErrorCode.INVALID_CONTEXT,
  GENERAL: ErrorCode.GENERAL,
};

/**
 * Evaluates a flag against the set being served, as OpenFeature's ResolutionDetails. On any error
 * the value is the caller's default and the reason ERROR; without a set yet the error code is
 * PROVIDER_NOT_READY (PROVIDER_FATAL when the server refused the token).
 */
export function resolveFlag<T>(
  sync: FlagSync,
  flagKey: string,
  defaultValue: T,
  context: EvaluationContext,
  type: RequestedType,
): ResolutionDetails<T> {
  const state = sync.state;
  if (state === undefined) {
    const { message, fatal } = sync.problem;
    return failed(defaultValue, fatal ? ErrorCode.PROVIDER_FATAL : ErrorCode.PROVIDER_NOT_READY, message);
  }
  const result = evaluate(state.flagSet, flagKey, context, { expectedType: type });
  if (result.errorCode !== undefined) {
    return failed(defaultValue, ERROR_CODES[result.errorCode] ?? ErrorCode.GENERAL, result.errorMessage);
  }
  // No value (a disabled flag, or one without a variant to serve): OpenFeature's caller default.
  const value = result.value === undefined ? defaultValue : (result.value as T);
  const details: ResolutionDetails<T> = { value, reason: result.reason };
  if (result.variant !== undefined) details.variant = result.variant;
  if (result.flagMetadata !== undefined) details.flagMetadata = result.flagMetadata as FlagMetadata;
  return details;
}

function failed<T>(value: T, errorCode: ErrorCode, errorMessage: string | undefined): ResolutionDetails<T> {
  const details: ResolutionDetails<T> = { value, reason: StandardResolutionReasons.ERROR, errorCode };
  if (errorMessage !== undefined) details.errorMessage = errorMessage;
  return details;
}

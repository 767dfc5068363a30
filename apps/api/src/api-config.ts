import { type JarvisConfig } from '@jarvis/config';
import { parseProtected, type ProtectedResources } from '@jarvis/policies';

/** DI token of the API's settings. */
export const API_CONFIG = Symbol('API_CONFIG');

/**
 * What the API keeps of the validated configuration: everything but the operators' passwords
 * (hashed into the OperatorDirectory at boot), with the protected-resources JSON parsed once.
 */
export interface ApiConfig extends Omit<JarvisConfig, 'operators'> {
  readonly operatorNames: readonly string[];
  readonly protectedResources: ProtectedResources;
}

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

export function toApiConfig(config: JarvisConfig): ApiConfig {
  const { operators, ...rest } = config;
  let protectedResources: ProtectedResources;
  try {
    protectedResources = parseProtected(config.protectedJson);
  } catch (err) {
    // A malformed list must stop start-up: "nothing is protected" is never a safe default.
    throw new ApiConfigError(`invalid configuration:\n  - JARVIS_PROTECTED: ${(err as Error).message}`);
  }
  return { ...rest, operatorNames: operators.map((o) => o.username), protectedResources };
}

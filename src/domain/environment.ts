/** The eHealth environment this platform serves: it decides certificate lifetimes, contract texts and safeguards. */
export const ENVIRONMENTS = ['acceptance', 'production'] as const;

export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(value: string): value is Environment {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}
